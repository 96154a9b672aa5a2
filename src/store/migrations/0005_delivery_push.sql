-- Pushing deliveries to receivers (issue #6). The deliveries row is the source of truth for a
-- delivery's state; queue jobs only say "try this one now", so a lost job or a crashed worker
-- costs a delay, never the delivery (an expired lease makes it due again).
ALTER TABLE deliveries ADD COLUMN seq bigserial;
-- Order per (recipient, patient) follows the outbox: relays in several processes may create
-- deliveries out of order, but the outbox entry they came from keeps the order they were stored in.
ALTER TABLE deliveries ADD COLUMN outbox_id bigint NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN resends integer NOT NULL DEFAULT 0; -- MedCom resends (missing ack, transient-error)
ALTER TABLE deliveries ADD COLUMN next_attempt_at timestamptz;
ALTER TABLE deliveries ADD COLUMN lease_until timestamptz;       -- a dispatch or attempt in progress until then
ALTER TABLE deliveries ADD COLUMN ack_due_at timestamptz;        -- MedCom: no acknowledgement by then means resend
ALTER TABLE deliveries ADD COLUMN last_error text;
ALTER TABLE deliveries ADD COLUMN endpoint_id text;
ALTER TABLE deliveries ADD COLUMN message_header_id text;        -- MedCom: the letter id, stable across resends
ALTER TABLE deliveries ADD COLUMN document_key text;             -- document versions: never older after newer
ALTER TABLE deliveries ADD COLUMN document_version integer;
ALTER TABLE deliveries ADD COLUMN sent_at timestamptz;           -- first time the receiver's transport accepted it
ALTER TABLE deliveries ADD COLUMN completed_at timestamptz;      -- delivered, acknowledged, superseded or dead-lettered
UPDATE deliveries SET next_attempt_at = created_at WHERE status = 'pending';
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'in-flight', 'awaiting-ack');
CREATE INDEX deliveries_order ON deliveries (recipient_sor, patient_id, outbox_id, seq);
CREATE INDEX outbox_pending_patient ON outbox ((payload->>'patientId'), id) WHERE processed_at IS NULL;
CREATE INDEX deliveries_document ON deliveries (recipient_sor, document_key, document_version);
CREATE UNIQUE INDEX deliveries_header ON deliveries (message_header_id, recipient_sor);

-- A circuit breaker per recipient, shared by every worker process: a receiver that keeps failing
-- is paused (its deliveries wait, none is dropped) and tried again after the pause.
CREATE TABLE delivery_circuits (
  recipient_sor text        PRIMARY KEY,
  failures      integer     NOT NULL,
  open_until    timestamptz,
  updated_at    timestamptz NOT NULL
);

-- Retries give up this long after retry_since (routing time; reset by an operator's replay).
ALTER TABLE deliveries ADD COLUMN retry_since timestamptz;
UPDATE deliveries SET retry_since = created_at;
