/**
 * The MedCom HospitalNotification test examples the demo's messages are made from, as published
 * (medcomdk/dk-medcom-hospitalnotification-testscripts@a19b03d4, input/resources/
 * HospitalNotification_Ex_STIN_A.json and HospitalNotification_Ex_SLHJ_H.json; copies in
 * ../shared/examples/medcom/hn-stin-admit-inpatient.json and hn-slhj-discharge-inpatient.json).
 * Only the generated narratives (`text`) are left out: they name the example's patient and times,
 * which the generator replaces. A unit test checks these against the published files.
 *
 * Kept in the source rather than read from ../shared at run time: `sektorbro demo` must work in a
 * clone that has only this repository.
 */

/** STIN: admission of an inpatient (Encounter in-progress, Provenance admit-inpatient). */
export const STIN_TEMPLATE: Readonly<Record<string, unknown>> = {
  "resourceType": "Bundle",
  "id": "a5e5b880-c087-4055-b9ec-99108695f81d",
  "meta": {
    "profile": [
      "http://medcomfhir.dk/ig/hospitalnotification/StructureDefinition/medcom-hospitalNotification-message"
    ]
  },
  "type": "message",
  "timestamp": "2023-03-01T12:00:00+01:00",
  "entry": [
    {
      "fullUrl": "MessageHeader/b9b4818e-02de-4cc4-b418-d20cbc7b5404",
      "resource": {
        "resourceType": "MessageHeader",
        "id": "b9b4818e-02de-4cc4-b418-d20cbc7b5404",
        "meta": {
          "profile": [
            "http://medcomfhir.dk/ig/hospitalnotification/StructureDefinition/medcom-hospitalNotification-messageHeader"
          ]
        },
        "extension": [
          {
            "url": "http://medcomfhir.dk/ig/hospitalnotification/StructureDefinition/medcom-messaging-reportOfAdmissionExtension",
            "valueBoolean": true
          },
          {
            "url": "http://medcomfhir.dk/ig/hospitalnotification/StructureDefinition/medcom-messaging-reportOfAdmissionRecipientExtension",
            "valueReference": {
              "reference": "Organization/o7056980-a8b2-42aa-8a0e-c1fc85d1f40d"
            }
          }
        ],
        "eventCoding": {
          "system": "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes",
          "code": "hospital-notification-message"
        },
        "destination": [
          {
            "extension": [
              {
                "url": "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-destinationUseExtension",
                "valueCoding": {
                  "system": "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-destinationUse",
                  "code": "primary"
                }
              }
            ],
            "endpoint": "https://sor2.sum.dsdn.dk/#id=953741000016009",
            "receiver": {
              "reference": "Organization/o4cdf292-abf3-4f5f-80ea-60a48013ff6d"
            }
          }
        ],
        "sender": {
          "reference": "Organization/o7056980-a8b2-42aa-8a0e-c1fc85d1f40d"
        },
        "source": {
          "endpoint": "https://sor2.sum.dsdn.dk/#id=265161000016000"
        },
        "focus": [
          {
            "reference": "Encounter/a790f964-88d3-4652-bbc8-81d2f3d035f8"
          }
        ]
      }
    },
    {
      "fullUrl": "Patient/t33cef33-3626-422b-955d-d506aaa65fe1",
      "resource": {
        "resourceType": "Patient",
        "id": "t33cef33-3626-422b-955d-d506aaa65fe1",
        "meta": {
          "profile": [
            "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-patient"
          ]
        },
        "identifier": [
          {
            "system": "urn:oid:1.2.208.176.1.2",
            "value": "2509479989"
          }
        ],
        "name": [
          {
            "use": "official",
            "family": "Elmer"
          }
        ]
      }
    },
    {
      "fullUrl": "Encounter/a790f964-88d3-4652-bbc8-81d2f3d035f8",
      "resource": {
        "resourceType": "Encounter",
        "id": "a790f964-88d3-4652-bbc8-81d2f3d035f8",
        "meta": {
          "profile": [
            "http://medcomfhir.dk/ig/hospitalnotification/StructureDefinition/medcom-hospitalNotification-encounter"
          ]
        },
        "status": "in-progress",
        "class": {
          "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
          "code": "IMP"
        },
        "subject": {
          "reference": "Patient/t33cef33-3626-422b-955d-d506aaa65fe1"
        },
        "episodeOfCare": [
          {
            "identifier": {
              "system": "https://sor2.sum.dsdn.dk/#id=265161000016000",
              "value": "82873e50-325e-4016-8a68-2934bdb2f66d"
            }
          }
        ],
        "period": {
          "start": "2023-03-01T12:00:00+01:00"
        },
        "serviceProvider": {
          "reference": "Organization/o7056980-a8b2-42aa-8a0e-c1fc85d1f40d"
        }
      }
    },
    {
      "fullUrl": "Organization/o4cdf292-abf3-4f5f-80ea-60a48013ff6d",
      "resource": {
        "resourceType": "Organization",
        "id": "o4cdf292-abf3-4f5f-80ea-60a48013ff6d",
        "meta": {
          "profile": [
            "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-organization"
          ]
        },
        "identifier": [
          {
            "system": "https://www.gs1.org/gln",
            "value": "5790001348120"
          },
          {
            "system": "urn:oid:1.2.208.176.1.1",
            "value": "953741000016009"
          }
        ],
        "name": "Plejecenter Herlev"
      }
    },
    {
      "fullUrl": "Organization/o7056980-a8b2-42aa-8a0e-c1fc85d1f40d",
      "resource": {
        "resourceType": "Organization",
        "id": "o7056980-a8b2-42aa-8a0e-c1fc85d1f40d",
        "meta": {
          "profile": [
            "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-organization"
          ]
        },
        "identifier": [
          {
            "system": "https://www.gs1.org/gln",
            "value": "5790000209354"
          },
          {
            "system": "urn:oid:1.2.208.176.1.1",
            "value": "265161000016000"
          }
        ],
        "name": "Hjerteafdelingen på Herlev og Gentofte hospital"
      }
    },
    {
      "fullUrl": "Provenance/a7cf3888-6f42-4e4d-929c-d2475d24fba0",
      "resource": {
        "resourceType": "Provenance",
        "id": "a7cf3888-6f42-4e4d-929c-d2475d24fba0",
        "meta": {
          "profile": [
            "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-provenance"
          ]
        },
        "target": [
          {
            "reference": "MessageHeader/b9b4818e-02de-4cc4-b418-d20cbc7b5404"
          }
        ],
        "occurredDateTime": "2023-03-01T12:00:00+01:00",
        "recorded": "2023-03-01T12:00:00+01:00",
        "activity": {
          "coding": [
            {
              "system": "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes",
              "code": "admit-inpatient"
            }
          ]
        },
        "agent": [
          {
            "who": {
              "reference": "Organization/o7056980-a8b2-42aa-8a0e-c1fc85d1f40d"
            }
          }
        ]
      }
    }
  ]
};

/**
 * SLHJ: discharge home (Encounter finished, Provenance discharge-inpatient-home with a revision
 * link to the STIN). Its admission Provenance targets a STIN MessageHeader id that differs from the
 * STIN example's own (a quirk of the published pair); the generator points both at the demo's STIN.
 */
export const SLHJ_TEMPLATE: Readonly<Record<string, unknown>> = {
  "resourceType": "Bundle",
  "id": "5be3a118-64e4-4541-a2fa-a90e3df387d6",
  "meta": {
    "profile": [
      "http://medcomfhir.dk/ig/hospitalnotification/StructureDefinition/medcom-hospitalNotification-message"
    ]
  },
  "type": "message",
  "timestamp": "2023-03-07T09:45:32+01:00",
  "entry": [
    {
      "fullUrl": "MessageHeader/g1affa53-c157-4080-abb0-8e6815399006",
      "resource": {
        "resourceType": "MessageHeader",
        "id": "g1affa53-c157-4080-abb0-8e6815399006",
        "meta": {
          "profile": [
            "http://medcomfhir.dk/ig/hospitalnotification/StructureDefinition/medcom-hospitalNotification-messageHeader"
          ]
        },
        "eventCoding": {
          "system": "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes",
          "code": "hospital-notification-message"
        },
        "destination": [
          {
            "extension": [
              {
                "url": "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-destinationUseExtension",
                "valueCoding": {
                  "system": "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-destinationUse",
                  "code": "primary"
                }
              }
            ],
            "endpoint": "https://sor2.sum.dsdn.dk/#id=953741000016009",
            "receiver": {
              "reference": "Organization/7e692262-81cd-11ed-a1eb-0242ac120002"
            }
          }
        ],
        "sender": {
          "reference": "Organization/8d813af0-81cd-11ed-a1eb-0242ac120002"
        },
        "source": {
          "endpoint": "https://sor2.sum.dsdn.dk/#id=265161000016000"
        },
        "focus": [
          {
            "reference": "Encounter/f405ba2d-467a-4e92-9acc-9dc2a629760f"
          }
        ]
      }
    },
    {
      "fullUrl": "Patient/6841b54e-81cd-11ed-a1eb-0242ac120002",
      "resource": {
        "resourceType": "Patient",
        "id": "6841b54e-81cd-11ed-a1eb-0242ac120002",
        "meta": {
          "profile": [
            "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-patient"
          ]
        },
        "identifier": [
          {
            "system": "urn:oid:1.2.208.176.1.2",
            "value": "2509479989"
          }
        ],
        "name": [
          {
            "use": "official",
            "family": "Elmer"
          }
        ]
      }
    },
    {
      "fullUrl": "Encounter/f405ba2d-467a-4e92-9acc-9dc2a629760f",
      "resource": {
        "resourceType": "Encounter",
        "id": "f405ba2d-467a-4e92-9acc-9dc2a629760f",
        "meta": {
          "profile": [
            "http://medcomfhir.dk/ig/hospitalnotification/StructureDefinition/medcom-hospitalNotification-encounter"
          ]
        },
        "status": "finished",
        "class": {
          "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
          "code": "IMP"
        },
        "subject": {
          "reference": "Patient/6841b54e-81cd-11ed-a1eb-0242ac120002"
        },
        "episodeOfCare": [
          {
            "identifier": {
              "system": "https://sor2.sum.dsdn.dk/#id=265161000016000",
              "value": "d3d03544-f116-4070-a823-d5c64e6a7c46"
            }
          }
        ],
        "period": {
          "start": "2023-03-01T12:00:00+01:00",
          "end": "2023-03-07T09:45:30+01:00"
        },
        "serviceProvider": {
          "reference": "Organization/8d813af0-81cd-11ed-a1eb-0242ac120002"
        }
      }
    },
    {
      "fullUrl": "Organization/8d813af0-81cd-11ed-a1eb-0242ac120002",
      "resource": {
        "resourceType": "Organization",
        "id": "8d813af0-81cd-11ed-a1eb-0242ac120002",
        "meta": {
          "profile": [
            "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-organization"
          ]
        },
        "identifier": [
          {
            "system": "https://www.gs1.org/gln",
            "value": "5790000209354"
          },
          {
            "system": "urn:oid:1.2.208.176.1.1",
            "value": "265161000016000"
          }
        ],
        "name": "Hjerteafdelingen på Herlev og Gentofte hospital"
      }
    },
    {
      "fullUrl": "Organization/7e692262-81cd-11ed-a1eb-0242ac120002",
      "resource": {
        "resourceType": "Organization",
        "id": "7e692262-81cd-11ed-a1eb-0242ac120002",
        "meta": {
          "profile": [
            "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-organization"
          ]
        },
        "identifier": [
          {
            "system": "https://www.gs1.org/gln",
            "value": "5790001348120"
          },
          {
            "system": "urn:oid:1.2.208.176.1.1",
            "value": "953741000016009"
          }
        ],
        "name": "Plejecenter Herlev"
      }
    },
    {
      "fullUrl": "Provenance/a7cf3888-6f42-4e4d-929c-d2475d24fba0",
      "resource": {
        "resourceType": "Provenance",
        "id": "a7cf3888-6f42-4e4d-929c-d2475d24fba0",
        "meta": {
          "profile": [
            "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-provenance"
          ]
        },
        "target": [
          {
            "reference": "MessageHeader/b9b4818e-02de-4cc4-b418-d20cbc399006"
          }
        ],
        "occurredDateTime": "2023-03-01T12:00:02+01:00",
        "recorded": "2023-03-01T12:00:02+01:00",
        "activity": {
          "coding": [
            {
              "system": "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes",
              "code": "admit-inpatient"
            }
          ]
        },
        "agent": [
          {
            "who": {
              "reference": "Organization/o7056980-a8b2-42aa-8a0e-c1fc85d1f40d"
            }
          }
        ]
      }
    },
    {
      "fullUrl": "Provenance/f710698c-83eb-4c3e-81c8-fe8e40baf524",
      "resource": {
        "resourceType": "Provenance",
        "id": "f710698c-83eb-4c3e-81c8-fe8e40baf524",
        "meta": {
          "profile": [
            "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-provenance"
          ]
        },
        "target": [
          {
            "reference": "MessageHeader/g1affa53-c157-4080-abb0-8e6815399006"
          }
        ],
        "occurredDateTime": "2023-03-07T09:45:32+01:00",
        "recorded": "2023-03-07T09:45:32+01:00",
        "activity": {
          "coding": [
            {
              "system": "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes",
              "code": "discharge-inpatient-home"
            }
          ]
        },
        "agent": [
          {
            "who": {
              "reference": "Organization/8d813af0-81cd-11ed-a1eb-0242ac120002"
            }
          }
        ],
        "entity": [
          {
            "role": "revision",
            "what": {
              "reference": "MessageHeader/b9b4818e-02de-4cc4-b418-d20cbc399006"
            }
          }
        ]
      }
    }
  ]
};
