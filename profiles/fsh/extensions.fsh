// Sektorbro's own extensions (docs/documents.md, "Extensions").

Extension: SektorbroEpisodeOfCareIdentifier
Id: sektorbro-episode-of-care-identifier
Title: "Forløbs-id (episode-of-care identifier)"
Description: "Forløbs-id'et, der binder et ophold sammen på tværs af beskeder og dokumenter (lokalt: afsenderens SOR-endepunkt; LPR3). (The episode-of-care identifier that links a stay's messages and documents.)"
Context: Composition, CarePlan, ServiceRequest
* ^experimental = false
* value[x] 1..1
* value[x] only Identifier
* valueIdentifier.system 1..1
* valueIdentifier.value 1..1

Extension: SektorbroRecipient
Id: sektorbro-recipient
Title: "Modtager (recipient)"
Description: "Den organisation, dokumentet er adresseret til. (The organisation the document is addressed to.)"
Context: Composition
* ^experimental = false
* value[x] 1..1
* value[x] only Reference(Organization)

Extension: SektorbroExpectedDischarge
Id: sektorbro-expected-discharge
Title: "Forventet udskrivelse (expected discharge)"
Description: "Forventet udskrivelses- eller færdigbehandlingstidspunkt. (Expected time of discharge.)"
Context: CarePlan
* ^experimental = false
* value[x] 1..1
* value[x] only dateTime

Extension: SektorbroGenoptraeningStartDeadline
Id: sektorbro-genoptraening-start-deadline
Title: "Genoptræning startes senest (start deadline)"
Description: "Datoen, hvor genoptræningen senest skal være startet. (The date by which rehabilitation must start.)"
Context: ServiceRequest
* ^experimental = false
* value[x] 1..1
* value[x] only date
