// Sektorbro's own code systems, each with a ValueSet of all its codes under the same id (docs/documents.md).

CodeSystem: SektorbroDocumentType
Id: sektorbro-document-type
Title: "Sektorbro dokumenttype (document type)"
Description: "De fire udskrivningsdokumenter, som Sektorbro modtager og videresender. (The four discharge documents Sektorbro handles.)"
* ^caseSensitive = true
* ^content = #complete
* ^experimental = false
* #epikrise "Epikrise" "Udskrivningsepikrise fra sygehus til egen læge (XDIS01). (Discharge letter from hospital to the GP.)"
* #udskrivningsrapport "Udskrivningsrapport" "Udskrivningsrapport fra sygehus til kommune (XDIS18). (Discharge report from hospital to municipality.)"
* #plejeforloebsplan "Plejeforløbsplan" "Plejeforløbsplan fra sygehus til kommune (XDIS21). (Care plan from hospital to municipality.)"
* #genoptraeningsplan "Genoptræningsplan" "Genoptræningsplan fra sygehus til kommune og egen læge (GGOP). (Rehabilitation plan to municipality and GP.)"

ValueSet: SektorbroDocumentTypeVS
Id: sektorbro-document-type
Title: "Sektorbro dokumenttype (document type)"
Description: "Alle koder i CodeSystem sektorbro-document-type. (All codes of the document-type code system.)"
* ^experimental = false
* include codes from system SektorbroDocumentType

CodeSystem: SektorbroEpikriseSection
Id: sektorbro-epikrise-section
Title: "Afsnit i en epikrise (epikrise sections)"
Description: "Afsnit i udskrivningsepikrisen efter den danske epikrisevejledning. (Sections of the discharge letter, following the Danish epikrise guideline.)"
* ^caseSensitive = true
* ^content = #complete
* ^experimental = false
* #anbefaling-til-egen-laege "Anbefaling til egen læge" "Opfølgning og anbefalinger til egen læge; vises først. (Recommendation to the GP, shown first.)"
* #forloeb "Forløb" "Sammenfatning af indlæggelsesforløbet. (Summary of the stay.)"
* #information-til-patient "Information til patient og pårørende" "Information givet til patient og pårørende. (Information given to patient and relatives.)"
* #medicin "Medicin" "Medicinændringer og begrundelser. (Medication.)"
* #planlagte-undersoegelser "Planlagte undersøgelser" "Planlagte og afventende undersøgelser. (Planned examinations.)"
* #medicinliste "Medicinliste" "Aktuel medicinliste ved udskrivelse (FMK). (Medication list at discharge.)"

ValueSet: SektorbroEpikriseSectionVS
Id: sektorbro-epikrise-section
Title: "Afsnit i en epikrise (epikrise sections)"
Description: "Alle koder i CodeSystem sektorbro-epikrise-section. (All epikrise section codes.)"
* ^experimental = false
* include codes from system SektorbroEpikriseSection

CodeSystem: SektorbroUdskrivningsrapportSection
Id: sektorbro-udskrivningsrapport-section
Title: "Afsnit i en udskrivningsrapport (discharge report sections)"
Description: "Afsnit i udskrivningsrapporten svarende til XDIS18. (Sections of the discharge report, after XDIS18.)"
* ^caseSensitive = true
* ^content = #complete
* ^experimental = false
* #aktuel-indlaeggelse "Aktuel indlæggelse" "Årsag til og forløb af den aktuelle indlæggelse. (Current admission.)"
* #diagnoser "Diagnoser" "Diagnoser (SKS). (Diagnoses.)"
* #funktionsevne-ved-udskrivelse "Funktionsevne ved udskrivelse" "Funktionsevne ved udskrivelse (ICF/FSIII). (Functional abilities at discharge.)"
* #sygeplejefaglige-problemomraader "Sygeplejefaglige problemområder" "De sygeplejefaglige problemområder A-K. (Nursing problem areas.)"
* #medicininformation "Medicininformation" "Udskrivningsrelateret medicininformation. (Medication information.)"
* #fremtidige-aftaler "Fremtidige aftaler" "Fremtidige aftaler og planer. (Future agreements.)"
* #paaroerende "Pårørende" "Pårørende og om de er informeret. (Relatives.)"

ValueSet: SektorbroUdskrivningsrapportSectionVS
Id: sektorbro-udskrivningsrapport-section
Title: "Afsnit i en udskrivningsrapport (discharge report sections)"
Description: "Alle koder i CodeSystem sektorbro-udskrivningsrapport-section. (All discharge report section codes.)"
* ^experimental = false
* include codes from system SektorbroUdskrivningsrapportSection

CodeSystem: SektorbroPlejeforloebsplanSection
Id: sektorbro-plejeforloebsplan-section
Title: "Afsnit i en plejeforløbsplan (care plan sections)"
Description: "Afsnit i plejeforløbsplanen svarende til XDIS21. (Sections of the care plan, after XDIS21.)"
* ^caseSensitive = true
* ^content = #complete
* ^experimental = false
* #forventet-udskrivelse "Forventet udskrivelse" "Forventet udskrivelses- eller færdigbehandlingstidspunkt. (Expected discharge.)"
* #funktionsniveau "Funktionsniveau" "Forventet fysisk og kognitivt funktionsniveau. (Expected functional level.)"
* #hjaelpemidler "Hjælpemidler" "Hjælpemidler og APV-udstyr. (Aids and equipment.)"
* #fortsat-behandling "Fortsat behandling" "Fortsat behandling og pleje efter udskrivelse. (Continued treatment.)"

ValueSet: SektorbroPlejeforloebsplanSectionVS
Id: sektorbro-plejeforloebsplan-section
Title: "Afsnit i en plejeforløbsplan (care plan sections)"
Description: "Alle koder i CodeSystem sektorbro-plejeforloebsplan-section. (All care plan section codes.)"
* ^experimental = false
* include codes from system SektorbroPlejeforloebsplanSection

CodeSystem: SektorbroGenoptraeningsplanSection
Id: sektorbro-genoptraeningsplan-section
Title: "Afsnit i en genoptræningsplan (rehabilitation plan sections)"
Description: "Afsnit i genoptræningsplanen svarende til GGOP. (Sections of the rehabilitation plan, after GGOP.)"
* ^caseSensitive = true
* ^content = #complete
* ^experimental = false
* #funktionsevne "Funktionsevne" "Funktionsevne før hændelsen og ved udskrivelse (ICF). (Functional ability.)"
* #genoptraeningsbehov "Genoptræningsbehov" "Genoptræningsbehov, potentiale og niveau. (Rehabilitation need.)"
* #praktiske-oplysninger "Praktiske oplysninger" "Praktiske oplysninger og kontaktoplysninger. (Practical information.)"

ValueSet: SektorbroGenoptraeningsplanSectionVS
Id: sektorbro-genoptraeningsplan-section
Title: "Afsnit i en genoptræningsplan (rehabilitation plan sections)"
Description: "Alle koder i CodeSystem sektorbro-genoptraeningsplan-section. (All rehabilitation plan section codes.)"
* ^experimental = false
* include codes from system SektorbroGenoptraeningsplanSection

CodeSystem: SektorbroGenoptraeningNiveau
Id: sektorbro-genoptraening-niveau
Title: "Genoptræningsniveau (rehabilitation level)"
Description: "Niveauet for genoptræning efter udskrivelse (sundhedslovens § 84 og § 140). (The level of rehabilitation after discharge.)"
* ^caseSensitive = true
* ^content = #complete
* ^experimental = false
* #almen "Almen genoptræning" "Almen genoptræning i kommunen. (General rehabilitation.)"
* #specialiseret "Specialiseret genoptræning" "Specialiseret genoptræning. (Specialised rehabilitation.)"
* #rehabilitering-specialiseret "Rehabilitering på specialiseret niveau" "Rehabilitering på specialiseret niveau. (Rehabilitation at specialised level.)"

ValueSet: SektorbroGenoptraeningNiveauVS
Id: sektorbro-genoptraening-niveau
Title: "Genoptræningsniveau (rehabilitation level)"
Description: "Alle koder i CodeSystem sektorbro-genoptraening-niveau. (All rehabilitation levels.)"
* ^experimental = false
* include codes from system SektorbroGenoptraeningNiveau

CodeSystem: SektorbroCareplanActivity
Id: sektorbro-careplan-activity
Title: "Aktivitet i en plejeforløbsplan (care plan activity)"
Description: "Aktiviteter i plejeforløbsplanens CarePlan. (Activities of the care plan's CarePlan.)"
* ^caseSensitive = true
* ^content = #complete
* ^experimental = false
* #hjaelpemiddel "Hjælpemiddel" "Hjælpemiddel eller udstyr. (Aid.)"
* #fortsat-behandling "Fortsat behandling" "Fortsat behandling eller pleje. (Continued treatment.)"
* #funktionsniveau "Funktionsniveau" "Forventet funktionsniveau. (Expected functional level.)"

ValueSet: SektorbroCareplanActivityVS
Id: sektorbro-careplan-activity
Title: "Aktivitet i en plejeforløbsplan (care plan activity)"
Description: "Alle koder i CodeSystem sektorbro-careplan-activity. (All care plan activity codes.)"
* ^experimental = false
* include codes from system SektorbroCareplanActivity
