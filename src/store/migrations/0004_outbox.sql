-- Transactional outbox (house-style §2.1): what happened, written in the same transaction as the
-- data, so no document or message is ever stored without its delivery following. The relay in
-- delivery/ reads it; the store never enqueues.
CREATE TABLE outbox (
  id           bigserial   PRIMARY KEY,
  event_type   text        NOT NULL, -- document.stored | message.processed
  subject      text        NOT NULL, -- the resource it is about, Type/id
  payload      jsonb       NOT NULL,
  created_at   timestamptz NOT NULL,
  processed_at timestamptz,
  attempts     integer     NOT NULL DEFAULT 0,
  last_error   text
);
CREATE INDEX outbox_pending ON outbox (id) WHERE processed_at IS NULL;

-- One delivery per (source, recipient): its routing basis and its state.
CREATE TABLE deliveries (
  id             text        PRIMARY KEY,
  source         text        NOT NULL, -- DocumentReference/<id> or MessageHeader/<id>
  recipient_sor  text,                 -- null: no recipient could be resolved (flagged for a person)
  patient_id     text,
  basis          text        NOT NULL, -- why this recipient (named in the document, the patient's GP, ...)
  status         text        NOT NULL, -- pending | unroutable | ...
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL
);
CREATE INDEX deliveries_source ON deliveries (source);
CREATE INDEX deliveries_status ON deliveries (status, created_at);

-- The timeline of each delivery: every step with its time.
CREATE TABLE delivery_events (
  id          bigserial   PRIMARY KEY,
  delivery_id text        NOT NULL REFERENCES deliveries (id),
  status      text        NOT NULL,
  at          timestamptz NOT NULL,
  detail      jsonb       NOT NULL
);
CREATE INDEX delivery_events_delivery ON delivery_events (delivery_id, id);
