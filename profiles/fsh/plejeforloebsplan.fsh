// Plejeforløbsplan (XDIS21): care plan from the hospital to the municipality. A new version replaces the earlier
// one (same Composition.identifier, relatesTo replaces).

Invariant: sb-pfp-comp-1
Description: "Plejeforløbsplanen skal have afsnittet 'Forventet udskrivelse' med en entry (CarePlan). (Required section: expected discharge, with an entry.)"
Severity: #error
Expression: "section.where(code.coding.where(system = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-plejeforloebsplan-section' and code = 'forventet-udskrivelse').exists()).entry.exists()"

Profile: SektorbroPlejeforloebsplanComposition
Parent: SektorbroDocumentComposition
Id: sektorbro-plejeforloebsplan-composition
Title: "Plejeforløbsplan: Composition"
Description: "Plejeforløbsplanens Composition: type plejeforloebsplan; afsnittet 'Forventet udskrivelse' peger på CarePlan. (The care plan's Composition.)"
* ^experimental = false
* obeys sb-pfp-comp-1
* type = $sb-document-type#plejeforloebsplan
* section.code from SektorbroPlejeforloebsplanSectionVS (required)

Invariant: sb-pfp-cp-1
Description: "Planen skal angive forventet udskrivelse. (The plan states the expected discharge.)"
Severity: #error
Expression: "extension.where(url = 'http://sektorbro.dk/fhir/StructureDefinition/sektorbro-expected-discharge').value.exists()"

Profile: SektorbroPlejeforloebsplanCarePlan
Parent: CarePlan
Id: sektorbro-plejeforloebsplan-careplan
Title: "Plejeforløbsplan: CarePlan"
Description: "Selve plejeforløbsplanen: forventet udskrivelse, funktionsniveau, hjælpemidler og fortsat behandling som aktiviteter. (The care plan: expected discharge and activities.)"
* ^experimental = false
* obeys sb-pfp-cp-1
* extension contains
    SektorbroExpectedDischarge named expected-discharge 1..1 and
    SektorbroEpisodeOfCareIdentifier named episode-of-care-identifier 0..1
// Rules on the slice children unfold the extensions (url included) into the snapshot, so validators match them.
* extension[expected-discharge].value[x] 1..1
* extension[episode-of-care-identifier].value[x] 1..1
* status 1..1
* intent = #plan (exactly)
* subject 1..1
* subject only Reference(Patient)
* activity.detail.code from SektorbroCareplanActivityVS (required)

Invariant: sb-pfp-1
Description: "Compositionen skal have typen plejeforloebsplan. (The Composition is a plejeforløbsplan.)"
Severity: #error
Expression: "entry.first().resource.ofType(Composition).type.coding.where(system = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-document-type' and code = 'plejeforloebsplan').exists()"

Invariant: sb-pfp-2
Description: "Plejeforløbsplanen skal have afsnittet 'Forventet udskrivelse'. (Required section: expected discharge.)"
Severity: #error
Expression: "entry.first().resource.ofType(Composition).section.code.coding.where(system = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-plejeforloebsplan-section' and code = 'forventet-udskrivelse').exists()"

Invariant: sb-pfp-3
Description: "Afsnittet 'Forventet udskrivelse' skal pege på en CarePlan i Bundlen. (The expected-discharge section references a CarePlan in the Bundle.)"
Severity: #error
Expression: "entry.where(resource.is(CarePlan) and (fullUrl in %context.entry.first().resource.section.where(code.coding.where(system = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-plejeforloebsplan-section' and code = 'forventet-udskrivelse').exists()).entry.reference or ('CarePlan/' + resource.id) in %context.entry.first().resource.section.where(code.coding.where(system = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-plejeforloebsplan-section' and code = 'forventet-udskrivelse').exists()).entry.reference)).exists()"

Invariant: sb-pfp-4
Description: "Modtageren skal være en kommune i Bundlen (Organization med kommunekode eller SOR-id). (A recipient that is a municipality Organization in the Bundle.)"
Severity: #error
Expression: "entry.where(resource.ofType(Organization).identifier.where(system in ('http://hl7.dk/fhir/core/CodeSystem/dk-core-municipality-codes' | 'urn:oid:1.2.208.176.1.1')).value.exists() and (fullUrl in %context.entry.first().resource.extension.where(url = 'http://sektorbro.dk/fhir/StructureDefinition/sektorbro-recipient').value.reference or ('Organization/' + resource.id) in %context.entry.first().resource.extension.where(url = 'http://sektorbro.dk/fhir/StructureDefinition/sektorbro-recipient').value.reference)).exists()"

Profile: SektorbroPlejeforloebsplanBundle
Parent: SektorbroDocumentBundle
Id: sektorbro-plejeforloebsplan-bundle
Title: "Plejeforløbsplan: dokument-Bundle"
Description: "Plejeforløbsplan fra sygehus til kommune som FHIR-dokument (XDIS21). Indeholder Composition, Patient, Encounter, CarePlan og kommunen som modtager. (The care plan to the municipality as a FHIR document.)"
* ^experimental = false
* obeys sb-pfp-1 and sb-pfp-2 and sb-pfp-3 and sb-pfp-4
