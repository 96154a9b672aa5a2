// Epikrise (XDIS01): discharge letter from the hospital to the GP.

Invariant: sb-epi-comp-1
Description: "Epikrisen skal have afsnittet 'Anbefaling til egen læge'. (Required section: recommendation to the GP.)"
Severity: #error
Expression: "section.code.coding.where(system = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-epikrise-section' and code = 'anbefaling-til-egen-laege').exists()"

Invariant: sb-epi-comp-2
Description: "Epikrisen skal have afsnittet 'Forløb'. (Required section: summary of the stay.)"
Severity: #error
Expression: "section.code.coding.where(system = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-epikrise-section' and code = 'forloeb').exists()"

Profile: SektorbroEpikriseComposition
Parent: SektorbroDocumentComposition
Id: sektorbro-epikrise-composition
Title: "Epikrise: Composition"
Description: "Udskrivningsepikrisens Composition: type epikrise og LOINC 18842-5, afsnit efter epikrisevejledningen. (The discharge letter's Composition.)"
* ^experimental = false
* obeys sb-epi-comp-1 and sb-epi-comp-2
* type ^patternCodeableConcept.coding[0].system = $sb-document-type
* type ^patternCodeableConcept.coding[0].code = #epikrise
* type ^patternCodeableConcept.coding[1].system = $loinc
* type ^patternCodeableConcept.coding[1].code = #18842-5
* section.code from SektorbroEpikriseSectionVS (required)

Invariant: sb-epi-1
Description: "Compositionen skal have typen epikrise og LOINC 18842-5. (The Composition is an epikrise, LOINC 18842-5.)"
Severity: #error
Expression: "entry.first().resource.ofType(Composition).type.coding.where(system = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-document-type' and code = 'epikrise').exists() and entry.first().resource.ofType(Composition).type.coding.where(system = 'http://loinc.org' and code = '18842-5').exists()"

Invariant: sb-epi-2
Description: "Epikrisen skal have afsnittet 'Anbefaling til egen læge'. (Required section: recommendation to the GP.)"
Severity: #error
Expression: "entry.first().resource.ofType(Composition).section.code.coding.where(system = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-epikrise-section' and code = 'anbefaling-til-egen-laege').exists()"

Invariant: sb-epi-3
Description: "Epikrisen skal have afsnittet 'Forløb'. (Required section: summary of the stay.)"
Severity: #error
Expression: "entry.first().resource.ofType(Composition).section.code.coding.where(system = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-epikrise-section' and code = 'forloeb').exists()"

Invariant: sb-epi-4
Description: "Bundlen skal indeholde en afsluttet kontakt (klasse IMP, EMER eller AMB, med sluttidspunkt = udskrivelsen). (An ended inpatient, emergency or ambulatory Encounter.)"
Severity: #error
Expression: "entry.resource.ofType(Encounter).where(class.system = 'http://terminology.hl7.org/CodeSystem/v3-ActCode' and class.code in ('IMP' | 'EMER' | 'AMB') and period.end.exists()).exists()"

Profile: SektorbroEpikriseBundle
Parent: SektorbroDocumentBundle
Id: sektorbro-epikrise-bundle
Title: "Epikrise: dokument-Bundle"
Description: "Udskrivningsepikrise fra sygehus til egen læge som FHIR-dokument (XDIS01). Indeholder Composition, Patient, Encounter, forfatter og afsender. (The discharge letter to the GP as a FHIR document.)"
* ^experimental = false
* obeys sb-epi-1 and sb-epi-2 and sb-epi-3 and sb-epi-4
