// Udskrivningsrapport (XDIS18): discharge report from the hospital to the municipality.

Invariant: sb-udr-comp-1
Description: "Udskrivningsrapporten skal have afsnittet 'Aktuel indlæggelse'. (Required section: current admission.)"
Severity: #error
Expression: "section.code.coding.where(system = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-udskrivningsrapport-section' and code = 'aktuel-indlaeggelse').exists()"

Invariant: sb-udr-comp-2
Description: "Udskrivningsrapporten skal have afsnittet 'Funktionsevne ved udskrivelse'. (Required section: functional abilities at discharge.)"
Severity: #error
Expression: "section.code.coding.where(system = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-udskrivningsrapport-section' and code = 'funktionsevne-ved-udskrivelse').exists()"

Profile: SektorbroUdskrivningsrapportComposition
Parent: SektorbroDocumentComposition
Id: sektorbro-udskrivningsrapport-composition
Title: "Udskrivningsrapport: Composition"
Description: "Udskrivningsrapportens Composition: type udskrivningsrapport, afsnit svarende til XDIS18. (The discharge report's Composition.)"
* ^experimental = false
* obeys sb-udr-comp-1 and sb-udr-comp-2
* type = $sb-document-type#udskrivningsrapport
* section.code from SektorbroUdskrivningsrapportSectionVS (required)

Invariant: sb-udr-1
Description: "Compositionen skal have typen udskrivningsrapport. (The Composition is an udskrivningsrapport.)"
Severity: #error
Expression: "entry.first().resource.ofType(Composition).type.coding.where(system = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-document-type' and code = 'udskrivningsrapport').exists()"

Invariant: sb-udr-2
Description: "Udskrivningsrapporten skal have afsnittet 'Aktuel indlæggelse'. (Required section: current admission.)"
Severity: #error
Expression: "entry.first().resource.ofType(Composition).section.code.coding.where(system = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-udskrivningsrapport-section' and code = 'aktuel-indlaeggelse').exists()"

Invariant: sb-udr-3
Description: "Udskrivningsrapporten skal have afsnittet 'Funktionsevne ved udskrivelse'. (Required section: functional abilities at discharge.)"
Severity: #error
Expression: "entry.first().resource.ofType(Composition).section.code.coding.where(system = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-udskrivningsrapport-section' and code = 'funktionsevne-ved-udskrivelse').exists()"

Invariant: sb-udr-4
Description: "Bundlen skal indeholde en kontakt med sluttidspunkt (udskrivelsen). (An Encounter with an end: the discharge.)"
Severity: #error
Expression: "entry.resource.ofType(Encounter).where(period.end.exists()).exists()"

Invariant: sb-udr-5
Description: "Modtageren skal være en kommune i Bundlen (Organization med kommunekode eller SOR-id). (A recipient that is a municipality Organization in the Bundle.)"
Severity: #error
Expression: "entry.where(resource.ofType(Organization).identifier.where(system in ('http://hl7.dk/fhir/core/CodeSystem/dk-core-municipality-codes' | 'urn:oid:1.2.208.176.1.1')).value.exists() and (fullUrl in %context.entry.first().resource.extension.where(url = 'http://sektorbro.dk/fhir/StructureDefinition/sektorbro-recipient').value.reference or ('Organization/' + resource.id) in %context.entry.first().resource.extension.where(url = 'http://sektorbro.dk/fhir/StructureDefinition/sektorbro-recipient').value.reference)).exists()"

Profile: SektorbroUdskrivningsrapportBundle
Parent: SektorbroDocumentBundle
Id: sektorbro-udskrivningsrapport-bundle
Title: "Udskrivningsrapport: dokument-Bundle"
Description: "Udskrivningsrapport fra sygehus til kommune som FHIR-dokument (XDIS18). Indeholder Composition, Patient, Encounter med udskrivelsestidspunkt og kommunen som modtager. (The discharge report to the municipality as a FHIR document.)"
* ^experimental = false
* obeys sb-udr-1 and sb-udr-2 and sb-udr-3 and sb-udr-4 and sb-udr-5
