-- MedCom messages received: one row per MessageHeader.id (the letter id, stable across resends),
-- with the payload as received and the acknowledgement given, replayed for duplicates.
CREATE TABLE messages (
  header_id    text        PRIMARY KEY,
  bundle_id    text        NOT NULL,
  kind         text,                  -- hospital-notification | care-communication | acknowledgement
  status       text        NOT NULL,  -- processed | rejected | recorded (acknowledgements: never acknowledged)
  sender_sor   text,
  client_id    text        NOT NULL,
  format       text        NOT NULL,  -- fhir-json | fhir-xml | oioxml (XDIS91 mapped to CareCommunication)
  media_type   text        NOT NULL,
  payload      bytea       NOT NULL,
  received_at  timestamptz NOT NULL,
  answer_status integer    NOT NULL,
  answer       jsonb       NOT NULL   -- the Acknowledgement Bundle (or OperationOutcome) as given
);
CREATE INDEX messages_bundle ON messages (bundle_id);

-- A hospital stay as told by HospitalNotifications: the reducer's state, so messages arriving
-- out of order or twice end in the same Encounter.
CREATE TABLE stays (
  stay_key     text        PRIMARY KEY,
  encounter_id text        NOT NULL,
  patient_id   text        NOT NULL,
  state        jsonb       NOT NULL,
  updated_at   timestamptz NOT NULL
);

-- Facts for timeliness and responsibility (discharge, admission, leave, death, cancellation,
-- correction), appended in the same transaction as the message that brought them.
CREATE SEQUENCE domain_event_seq;
CREATE TABLE domain_events (
  id                 text        PRIMARY KEY,
  seq                bigint      NOT NULL DEFAULT nextval('domain_event_seq'),
  type               text        NOT NULL,
  occurred_at        timestamptz,
  patient_id         text        NOT NULL,
  stay_key           text        NOT NULL,
  department_sor     text,
  episode_of_care_id text,
  header_id          text        NOT NULL,
  payload            jsonb       NOT NULL,
  recorded_at        timestamptz NOT NULL
);
CREATE INDEX domain_events_patient ON domain_events (patient_id, seq);
CREATE INDEX domain_events_type_time ON domain_events (type, occurred_at);
