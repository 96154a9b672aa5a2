// Common building blocks of the four documents: Patient, Organization, Encounter, Practitioner.
// Rules a validator cannot see on slice children (value formats) sit as invariants on the root.

Invariant: sb-pat-1
Description: "Patienten skal have et CPR-nummer, X-eCPR eller D-eCPR med værdi. (The patient needs a CPR number or a replacement CPR.)"
Severity: #error
Expression: "identifier.where(system in ('urn:oid:1.2.208.176.1.2' | 'urn:oid:1.2.208.176.1.6.1.1' | 'urn:oid:1.2.208.176.1.6.1.3' | 'urn:oid:1.2.208.176.1.6.1.3.177' | 'urn:oid:1.2.208.176.1.6.1.3.179' | 'urn:oid:1.2.208.176.1.6.1.3.181' | 'urn:oid:1.2.208.176.1.6.1.3.183' | 'urn:oid:1.2.208.176.1.6.1.3.187')).value.exists()"

Invariant: sb-pat-2
Description: "Et CPR-nummer er 10 cifre (ingen modulus-11-kontrol). (A CPR number is 10 digits; no modulus-11 check.)"
Severity: #error
Expression: "identifier.where(system = 'urn:oid:1.2.208.176.1.2').all(value.matches('^[0-9]{10}$'))"

Invariant: sb-pat-3
Description: "Højst ét D-eCPR. (At most one regional replacement CPR.)"
Severity: #error
Expression: "identifier.where(system in ('urn:oid:1.2.208.176.1.6.1.3' | 'urn:oid:1.2.208.176.1.6.1.3.177' | 'urn:oid:1.2.208.176.1.6.1.3.179' | 'urn:oid:1.2.208.176.1.6.1.3.181' | 'urn:oid:1.2.208.176.1.6.1.3.183' | 'urn:oid:1.2.208.176.1.6.1.3.187')).count() <= 1"

Profile: SektorbroPatient
Parent: Patient
Id: sektorbro-patient
Title: "Sektorbro patient"
Description: "Patienten i et udskrivningsdokument, identificeret ved CPR-nummer eller et erstatningspersonnummer (X-eCPR eller D-eCPR, som i DK Core). Adressen må bære DK Cores kommunekode-udvidelse (http://hl7.dk/fhir/core/StructureDefinition/dk-core-municipalityCodes). (The patient of a discharge document, identified by CPR or a replacement CPR.)"
* ^experimental = false
* obeys sb-pat-1 and sb-pat-2 and sb-pat-3
* identifier 1..*
* identifier ^slicing.discriminator.type = #value
* identifier ^slicing.discriminator.path = "system"
* identifier ^slicing.rules = #open
* identifier ^slicing.description = "CPR og erstatningspersonnumre efter system. D-eCPR (regionale OID'er) tjekkes af sb-pat-1 og sb-pat-3. (CPR and replacement CPRs by system.)"
* identifier contains cpr 0..1 and x-ecpr 0..1
* identifier[cpr] ^short = "CPR-nummer (10 cifre, sb-pat-2)"
* identifier[cpr].system 1..1
* identifier[cpr].system = $cpr (exactly)
* identifier[cpr].value 1..1
* identifier[x-ecpr] ^short = "X-eCPR: nationalt erstatningspersonnummer (use = temp)"
* identifier[x-ecpr].system 1..1
* identifier[x-ecpr].system = $x-ecpr (exactly)
* identifier[x-ecpr].value 1..1
* name 1..*
* generalPractitioner 0..*
* generalPractitioner ^short = "Egen læge (praksis som Organization med SOR/GLN/ydernummer)"

Invariant: sb-org-1
Description: "Organisationen skal have et SOR-id eller et GLN (lokationsnummer). (The organisation needs a SOR id or a GLN.)"
Severity: #error
Expression: "identifier.where(system in ('urn:oid:1.2.208.176.1.1' | 'https://www.gs1.org/gln')).value.exists()"

Invariant: sb-org-2
Description: "Et GLN er 13 cifre. (A GLN is 13 digits.)"
Severity: #error
Expression: "identifier.where(system = 'https://www.gs1.org/gln').all(value.matches('^[0-9]{13}$'))"

Invariant: sb-org-3
Description: "En kommunekode er 4 cifre med foranstillede nuller (0163). (A municipality code is 4 zero-padded digits.)"
Severity: #error
Expression: "identifier.where(system = 'http://hl7.dk/fhir/core/CodeSystem/dk-core-municipality-codes').all(value.matches('^[0-9]{4}$'))"

Profile: SektorbroOrganization
Parent: Organization
Id: sektorbro-organization
Title: "Sektorbro organisation"
Description: "Afsender, modtager eller egen læge, identificeret ved SOR-id og/eller GLN; en kommune også ved kommunekode, en praksis ved ydernummer. GLN gemmes med systemet https://www.gs1.org/gln. (An organisation identified by SOR and/or GLN.)"
* ^experimental = false
* obeys sb-org-1 and sb-org-2 and sb-org-3
* identifier 1..*
* identifier ^slicing.discriminator.type = #value
* identifier ^slicing.discriminator.path = "system"
* identifier ^slicing.rules = #open
* identifier ^slicing.description = "Danske organisations-id'er efter system. (Danish organisation identifiers by system.)"
* identifier contains sor 0..1 and gln 0..1 and ydernummer 0..1 and kommunekode 0..1
* identifier[sor] ^short = "SOR-id"
* identifier[sor].system 1..1
* identifier[sor].system = $sor (exactly)
* identifier[sor].value 1..1
* identifier[gln] ^short = "GLN/EAN-lokationsnummer (13 cifre, sb-org-2)"
* identifier[gln].system 1..1
* identifier[gln].system = $gln (exactly)
* identifier[gln].value 1..1
* identifier[ydernummer] ^short = "Ydernummer (praktiserende læge)"
* identifier[ydernummer].system 1..1
* identifier[ydernummer].system = $ydernummer (exactly)
* identifier[ydernummer].value 1..1
* identifier[kommunekode] ^short = "Kommunekode (4 cifre, sb-org-3)"
* identifier[kommunekode].system 1..1
* identifier[kommunekode].system = $kommunekode (exactly)
* identifier[kommunekode].value 1..1
* name 1..1

Invariant: sb-enc-1
Description: "Kontakten skal have et starttidspunkt. (The encounter needs a start time.)"
Severity: #error
Expression: "period.start.exists()"

Invariant: sb-enc-2
Description: "Forløbs-id angives som logisk reference med identifier. (The episode of care is a logical reference carrying an identifier.)"
Severity: #error
Expression: "episodeOfCare.all(identifier.value.exists())"

Profile: SektorbroEncounter
Parent: Encounter
Id: sektorbro-encounter
Title: "Sektorbro kontakt (encounter)"
Description: "Indlæggelsen eller kontakten, dokumentet handler om, med forløbs-id som logisk reference (som MedCom). (The stay the document is about, with the episode-of-care id as a logical reference.)"
* ^experimental = false
* obeys sb-enc-1 and sb-enc-2
* status 1..1
* class 1..1
* subject 1..1
* subject only Reference(Patient)
* period 1..1
* period.start 1..1
* serviceProvider 1..1
* serviceProvider only Reference(Organization)
* episodeOfCare 0..*
* episodeOfCare ^short = "Forløbs-id (logisk reference: identifier med afsenderens SOR-endepunkt eller LPR3 som system)"
* episodeOfCare.identifier 1..1

Profile: SektorbroPractitioner
Parent: Practitioner
Id: sektorbro-practitioner
Title: "Sektorbro sundhedsperson (practitioner)"
Description: "Den læge eller sygeplejerske, der har skrevet eller godkendt dokumentet. (The author or signer of a document.)"
* ^experimental = false
* name 1..*
