// Systems used across the profiles (docs/documents.md, "Identifiers" and "Code systems").
Alias: $cpr = urn:oid:1.2.208.176.1.2
Alias: $x-ecpr = urn:oid:1.2.208.176.1.6.1.1
Alias: $sor = urn:oid:1.2.208.176.1.1
Alias: $gln = https://www.gs1.org/gln
Alias: $ydernummer = urn:oid:1.2.208.176.1.4
Alias: $kommunekode = http://hl7.dk/fhir/core/CodeSystem/dk-core-municipality-codes
Alias: $loinc = http://loinc.org
Alias: $sb-document-type = http://sektorbro.dk/fhir/CodeSystem/sektorbro-document-type
