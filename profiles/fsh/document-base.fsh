// Abstract parents of the four documents: the document Composition and the document Bundle.
// Each entry of a Bundle is validated on its own, so what a document needs from its other entries is said by
// invariants on the Bundle root, evaluated with the `fhirpath` library (R4 model) and by Medplum alike.

Invariant: sb-comp-1
Description: "Status skal være final, amended eller entered-in-error (annullering). (Status is final, amended or entered-in-error.)"
Severity: #error
Expression: "status = 'final' or status = 'amended' or status = 'entered-in-error'"

Invariant: sb-comp-2
Description: "Hvert afsnit skal have en kode og en tekst. (Every section has a code and a narrative.)"
Severity: #error
Expression: "section.all(code.exists() and text.exists())"

Profile: SektorbroDocumentComposition
Parent: Composition
Id: sektorbro-document-composition
Title: "Sektorbro dokument-Composition (abstrakt)"
Description: "Fælles regler for Composition i de fire udskrivningsdokumenter. Abstrakt: brug dokumentets egen profil. (Common rules of the four documents' Compositions; abstract.)"
* ^abstract = true
* ^experimental = false
* obeys sb-comp-1 and sb-comp-2
* extension contains
    SektorbroRecipient named recipient 0..* and
    SektorbroEpisodeOfCareIdentifier named episode-of-care-identifier 0..1
* extension[recipient] ^short = "Modtager (Organization)"
* extension[episode-of-care-identifier] ^short = "Forløbs-id"
// A rule on a child makes SUSHI unfold the extension (url with its fixed value) into the snapshot, which a
// validator needs to match the slice by url.
* extension[recipient].value[x] 1..1
* extension[episode-of-care-identifier].value[x] 1..1
* identifier 1..1
* identifier ^short = "Dokument-id; fælles for alle versioner af dokumentet"
* status ^short = "final | amended | entered-in-error (sb-comp-1)"
* type 1..1
* subject 1..1
* subject only Reference(Patient)
* encounter 1..1
* encounter only Reference(Encounter)
* date 1..1
* author 1..*
* author only Reference(Practitioner or PractitionerRole or Organization)
* title 1..1
* custodian 1..1
* custodian only Reference(Organization)
* custodian ^short = "Afsender (Organization)"
* relatesTo ^short = "Ny version: code replaces og targetIdentifier = samme identifier"
* section 1..*
* section.code 1..1
* section.text 1..1

Invariant: sb-doc-1
Description: "Første entry skal være dokumentets Composition. (The first entry is the Composition.)"
Severity: #error
Expression: "entry.first().resource.is(Composition)"

Invariant: sb-doc-2
Description: "Bundlen skal indeholde patienten. (The Bundle contains the Patient.)"
Severity: #error
Expression: "entry.resource.ofType(Patient).exists()"

Invariant: sb-doc-3
Description: "Patienten skal have et CPR-nummer, X-eCPR eller D-eCPR. (The Patient has a CPR number or a replacement CPR.)"
Severity: #error
Expression: "entry.resource.ofType(Patient).all(identifier.where(system in ('urn:oid:1.2.208.176.1.2' | 'urn:oid:1.2.208.176.1.6.1.1' | 'urn:oid:1.2.208.176.1.6.1.3' | 'urn:oid:1.2.208.176.1.6.1.3.177' | 'urn:oid:1.2.208.176.1.6.1.3.179' | 'urn:oid:1.2.208.176.1.6.1.3.181' | 'urn:oid:1.2.208.176.1.6.1.3.183' | 'urn:oid:1.2.208.176.1.6.1.3.187')).value.exists())"

Invariant: sb-doc-4
Description: "Bundlen skal indeholde kontakten (Encounter). (The Bundle contains the Encounter.)"
Severity: #error
Expression: "entry.resource.ofType(Encounter).exists()"

Invariant: sb-doc-5
Description: "Bundlen skal indeholde afsenderen (custodian Organization). (The Bundle contains the sending Organization.)"
Severity: #error
Expression: "entry.resource.ofType(Organization).exists()"

Profile: SektorbroDocumentBundle
Parent: Bundle
Id: sektorbro-document-bundle
Title: "Sektorbro dokument-Bundle (abstrakt)"
Description: "Fælles regler for de fire udskrivningsdokumenter som FHIR-dokumenter. Alle referencer skal kunne slås op i Bundlen (tjekkes af validatoren). Abstrakt: brug dokumentets egen profil. (Common rules of the four document Bundles; every reference resolves inside the Bundle, checked by the validator; abstract.)"
* ^abstract = true
* ^experimental = false
* obeys sb-doc-1 and sb-doc-2 and sb-doc-3 and sb-doc-4 and sb-doc-5
* identifier 1..1
* type = #document (exactly)
* timestamp 1..1
* entry 1..*
* entry.fullUrl 1..1
* entry.resource 1..1
