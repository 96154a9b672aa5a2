-- FHIR Subscriptions (issue #6): R4 criteria subscriptions and R4 Backport topic-based ones. The
-- Subscription resource lives in `resources` like any other; this row is what delivery needs of
-- it, including the signing secret, which the API never shows again after it was set.
CREATE TABLE subscriptions (
  id                text        PRIMARY KEY, -- the Subscription resource id
  org               text        NOT NULL,    -- SOR of the subscriber's organisation: it gets only what that organisation may see
  client_id         text        NOT NULL,
  topic             text,                    -- backport topic canonical; null for an R4 criteria subscription
  resource_type     text        NOT NULL,    -- the focus type its events are about
  filter            text        NOT NULL,    -- search parameters a focus must match (a query string, may be empty)
  endpoint          text        NOT NULL,
  headers           jsonb       NOT NULL,
  content           text        NOT NULL,    -- empty | id-only | full-resource
  secret            text,                    -- HMAC-SHA256 key for the notification signature
  heartbeat_seconds integer,
  status            text        NOT NULL,    -- requested | active | error | off
  error             text,
  events_count      bigint      NOT NULL DEFAULT 0,
  last_sent_at      timestamptz,
  version           integer     NOT NULL,    -- the Subscription resource version this row reflects
  updated_at        timestamptz NOT NULL
);
CREATE INDEX subscriptions_active ON subscriptions (resource_type) WHERE status IN ('requested', 'active');

-- Every event of every subscription, numbered from 1 per subscription, kept so that `$events`
-- lets a subscriber prove it has everything and recover what it missed.
CREATE TABLE subscription_events (
  subscription_id text        NOT NULL,
  event_number    bigint      NOT NULL,
  focus           text        NOT NULL,
  patient_id      text,
  occurred_at     timestamptz NOT NULL,
  PRIMARY KEY (subscription_id, event_number)
);
