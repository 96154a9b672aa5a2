-- Timeliness (issue #7, domain.md §2-3): one expectation per (discharge, document type). Both
-- clocks (sent, delivered), the rule and calendar with their versions and any exclusion reason are
-- stored, so the indicator can be recomputed from this table alone, without re-ingest.
CREATE TABLE timeliness_expectations (
  id                    text        PRIMARY KEY, -- deterministic: (discharge key, document type) of its first source
  document_type         text        NOT NULL,    -- epikrise | udskrivningsrapport | genoptraeningsplan
  source                text        NOT NULL,    -- notification (HN SLHJ) | document (Encounter.period.end)
  discharge_key         text        NOT NULL,    -- <stay key>|<SLHJ MessageHeader id>, or document:<document key>
  patient_id            text        NOT NULL,
  stay_key              text,
  episode_of_care_id    text,                    -- normalised (medcom normaliseEpisodeOfCareId)
  hospital_sor          text        NOT NULL,    -- the sender: a hospital client sees its own rows
  department_sor        text,                    -- the discharging department
  discharged_at         timestamptz,             -- null: the document is in, the discharge not yet known
  due_at                timestamptz,
  rule                  text        NOT NULL,    -- id@version
  calendar              text        NOT NULL,    -- id@version
  clock                 text        NOT NULL,    -- sent | delivered: the time that decides on-time for this row's state
  state                 text        NOT NULL,    -- awaiting-discharge | pending | at-risk | overdue | on-time | late | excluded
  exclusion_reason      text,                    -- death | transfer | no-gp | objection | cancelled
  exclusion_source      text,                    -- what excluded it (a MessageHeader id, a client id), so it can be undone
  expected_recipients   text[]      NOT NULL DEFAULT '{}', -- epikrise: the patient's GP(s); only a dispatch to them counts
  document_key          text,
  document_reference_id text,                    -- the matched document (its latest version)
  document_reference_ids text[]     NOT NULL DEFAULT '{}', -- every matched version: a dispatch of any of them counts
  received_at           timestamptz,             -- the first matched document was stored
  sent_at               timestamptz,             -- first dispatch to the receiver
  delivered_at          timestamptz,             -- the receiver accepted or acknowledged it
  working_days_elapsed  integer,                 -- discharge day to sent_at
  within_three          boolean,
  delivered_working_days_elapsed integer,        -- discharge day to delivered_at
  delivered_within_three boolean,
  alerted_at            timestamptz,             -- the overdue alert fired (once per row)
  alert_attempts        integer     NOT NULL DEFAULT 0,
  alert_lease_until     timestamptz,             -- an alert in progress: other pollers leave the row alone
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL
);
CREATE UNIQUE INDEX timeliness_discharge_type ON timeliness_expectations (discharge_key, document_type);
-- The indicator: a range of discharge times, grouped by month, hospital, department or type.
CREATE INDEX timeliness_kpi ON timeliness_expectations (discharged_at, hospital_sor, department_sor, document_type);
CREATE INDEX timeliness_kpi_hospital ON timeliness_expectations (hospital_sor, discharged_at);
-- What is overdue or at risk now, oldest due first.
CREATE INDEX timeliness_open ON timeliness_expectations (state, due_at);
CREATE INDEX timeliness_patient ON timeliness_expectations (patient_id);
CREATE INDEX timeliness_documents ON timeliness_expectations USING gin (document_reference_ids);

-- Domain events already applied: a replayed event changes nothing, whatever came after it.
CREATE TABLE timeliness_applied_events (
  event_id   text        PRIMARY KEY,
  applied_at timestamptz NOT NULL
);
