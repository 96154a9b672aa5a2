// Genoptræningsplan (GGOP): rehabilitation plan from the hospital to the municipality and the GP.

Invariant: sb-gop-comp-1
Description: "Genoptræningsplanen skal have afsnittet 'Genoptræningsbehov' med en entry (ServiceRequest). (Required section: rehabilitation need, with an entry.)"
Severity: #error
Expression: "section.where(code.coding.where(system = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-genoptraeningsplan-section' and code = 'genoptraeningsbehov').exists()).entry.exists()"

Profile: SektorbroGenoptraeningsplanComposition
Parent: SektorbroDocumentComposition
Id: sektorbro-genoptraeningsplan-composition
Title: "Genoptræningsplan: Composition"
Description: "Genoptræningsplanens Composition: type genoptraeningsplan; afsnittet 'Genoptræningsbehov' peger på ServiceRequest. (The rehabilitation plan's Composition.)"
* ^experimental = false
* obeys sb-gop-comp-1
* type = $sb-document-type#genoptraeningsplan
* section.code from SektorbroGenoptraeningsplanSectionVS (required)

Invariant: sb-gop-sr-1
Description: "Planen skal angive, hvornår genoptræningen senest skal starte. (The plan states the start deadline.)"
Severity: #error
Expression: "extension.where(url = 'http://sektorbro.dk/fhir/StructureDefinition/sektorbro-genoptraening-start-deadline').value.exists()"

Profile: SektorbroGenoptraeningsplanServiceRequest
Parent: ServiceRequest
Id: sektorbro-genoptraeningsplan-servicerequest
Title: "Genoptræningsplan: ServiceRequest"
Description: "Selve genoptræningsplanen: niveau (almen, specialiseret, rehabilitering på specialiseret niveau), startfrist og den kommune, der skal udføre den. (The rehabilitation order: level, start deadline and performing municipality.)"
* ^experimental = false
* obeys sb-gop-sr-1
* extension contains
    SektorbroGenoptraeningStartDeadline named start-deadline 1..1 and
    SektorbroEpisodeOfCareIdentifier named episode-of-care-identifier 0..1
// Rules on the slice children unfold the extensions (url included) into the snapshot, so validators match them.
* extension[start-deadline].value[x] 1..1
* extension[episode-of-care-identifier].value[x] 1..1
* status 1..1
* intent = #plan (exactly)
* subject 1..1
* subject only Reference(Patient)
* category 1..1
* category from SektorbroGenoptraeningNiveauVS (required)
* category ^short = "Genoptræningsniveau"
* performer 1..*
* performer only Reference(Organization)
* performer ^short = "Kommunen, der udfører genoptræningen"

Invariant: sb-gop-1
Description: "Compositionen skal have typen genoptraeningsplan. (The Composition is a genoptræningsplan.)"
Severity: #error
Expression: "entry.first().resource.ofType(Composition).type.coding.where(system = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-document-type' and code = 'genoptraeningsplan').exists()"

Invariant: sb-gop-2
Description: "Genoptræningsplanen skal have afsnittet 'Genoptræningsbehov'. (Required section: rehabilitation need.)"
Severity: #error
Expression: "entry.first().resource.ofType(Composition).section.code.coding.where(system = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-genoptraeningsplan-section' and code = 'genoptraeningsbehov').exists()"

Invariant: sb-gop-3
Description: "Afsnittet 'Genoptræningsbehov' skal pege på en ServiceRequest i Bundlen. (The rehabilitation-need section references a ServiceRequest in the Bundle.)"
Severity: #error
Expression: "entry.where(resource.is(ServiceRequest) and (fullUrl in %context.entry.first().resource.section.where(code.coding.where(system = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-genoptraeningsplan-section' and code = 'genoptraeningsbehov').exists()).entry.reference or ('ServiceRequest/' + resource.id) in %context.entry.first().resource.section.where(code.coding.where(system = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-genoptraeningsplan-section' and code = 'genoptraeningsbehov').exists()).entry.reference)).exists()"

Invariant: sb-gop-4
Description: "Modtageren skal være en kommune i Bundlen (Organization med kommunekode eller SOR-id). (A recipient that is a municipality Organization in the Bundle.)"
Severity: #error
Expression: "entry.where(resource.ofType(Organization).identifier.where(system in ('http://hl7.dk/fhir/core/CodeSystem/dk-core-municipality-codes' | 'urn:oid:1.2.208.176.1.1')).value.exists() and (fullUrl in %context.entry.first().resource.extension.where(url = 'http://sektorbro.dk/fhir/StructureDefinition/sektorbro-recipient').value.reference or ('Organization/' + resource.id) in %context.entry.first().resource.extension.where(url = 'http://sektorbro.dk/fhir/StructureDefinition/sektorbro-recipient').value.reference)).exists()"

Invariant: sb-gop-5
Description: "Den udførende kommune (ServiceRequest.performer) skal være en Organization i Bundlen. (The performing municipality is an Organization in the Bundle.)"
Severity: #error
Expression: "entry.resource.ofType(ServiceRequest).all(performer.exists() and performer.all(reference in %context.entry.where(resource.is(Organization)).fullUrl or reference in %context.entry.resource.ofType(Organization).select('Organization/' + id)))"

Profile: SektorbroGenoptraeningsplanBundle
Parent: SektorbroDocumentBundle
Id: sektorbro-genoptraeningsplan-bundle
Title: "Genoptræningsplan: dokument-Bundle"
Description: "Genoptræningsplan fra sygehus til kommune og egen læge som FHIR-dokument (GGOP). Indeholder Composition, Patient, Encounter, ServiceRequest og kommunen som modtager (egen læge kan være medmodtager). (The rehabilitation plan as a FHIR document.)"
* ^experimental = false
* obeys sb-gop-1 and sb-gop-2 and sb-gop-3 and sb-gop-4 and sb-gop-5
