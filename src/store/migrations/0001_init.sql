-- Resources: the current version of each resource, and every version (deletes included).
CREATE SEQUENCE resource_seq;

CREATE TABLE resources (
  resource_type text        NOT NULL,
  id            text        NOT NULL,
  version_id    integer     NOT NULL,
  seq           bigint      NOT NULL,
  last_updated  timestamptz NOT NULL,
  deleted       boolean     NOT NULL DEFAULT false,
  content       jsonb,
  PRIMARY KEY (resource_type, id),
  CHECK (deleted = (content IS NULL))
);
-- Search and type history page newest first by seq.
CREATE INDEX resources_type_seq ON resources (resource_type, seq DESC);

CREATE TABLE resource_versions (
  resource_type text        NOT NULL,
  id            text        NOT NULL,
  version_id    integer     NOT NULL,
  seq           bigint      NOT NULL UNIQUE,
  last_updated  timestamptz NOT NULL,
  deleted       boolean     NOT NULL DEFAULT false,
  content       jsonb,
  PRIMARY KEY (resource_type, id, version_id),
  CHECK (deleted = (content IS NULL))
);
CREATE INDEX resource_versions_type_seq ON resource_versions (resource_type, seq DESC);
CREATE INDEX resource_versions_id_seq ON resource_versions (resource_type, id, seq DESC);

-- Read grants: which organisations (SOR codes) may read a resource. Grants accumulate.
CREATE TABLE resource_access (
  resource_type text NOT NULL,
  id            text NOT NULL,
  org           text NOT NULL,
  PRIMARY KEY (resource_type, id, org)
);
CREATE INDEX resource_access_org ON resource_access (org, resource_type, id);

-- Search index: one row per indexed value of the current, non-deleted version.
CREATE TABLE search_index (
  resource_type text NOT NULL,
  resource_id   text NOT NULL,
  param         text NOT NULL,
  system        text,
  code          text,
  ref_type      text,
  ref_id        text,
  date_low      timestamptz,
  date_high     timestamptz
);
CREATE INDEX search_index_resource ON search_index (resource_type, resource_id);
CREATE INDEX search_index_token ON search_index (resource_type, param, code, system) WHERE code IS NOT NULL OR system IS NOT NULL;
CREATE INDEX search_index_reference ON search_index (resource_type, param, ref_id, ref_type) WHERE ref_id IS NOT NULL;
CREATE INDEX search_index_date ON search_index (resource_type, param, date_low, date_high) WHERE date_low IS NOT NULL;

-- Audit trail: append-only, kept apart from the resource tables.
CREATE TABLE audit_events (
  id            text        PRIMARY KEY,
  seq           bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
  recorded      timestamptz NOT NULL,
  request_id    text        NOT NULL,
  client_id     text,
  org           text,
  role          text,
  action        text        NOT NULL,
  interaction   text        NOT NULL,
  outcome       text        NOT NULL,
  status        integer     NOT NULL,
  resource_type text,
  entities      text[]      NOT NULL DEFAULT '{}',
  query         text,
  source_ip     text
);
CREATE INDEX audit_events_recorded ON audit_events (recorded);
CREATE INDEX audit_events_client_seq ON audit_events (client_id, seq DESC);
CREATE INDEX audit_events_entities ON audit_events USING gin (entities);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- One-time use of OAuth client-assertion ids (replay protection).
CREATE TABLE oauth_jti (
  client_id  text        NOT NULL,
  jti        text        NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (client_id, jti)
);
CREATE INDEX oauth_jti_expires ON oauth_jti (expires_at);
