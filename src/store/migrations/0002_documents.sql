-- Ingested documents: one row per accepted version of a document, with the payload exactly as
-- received (FHIR JSON or OIOXML), so every stored resource can be traced back to its bytes.
CREATE TABLE documents (
  id                    text        PRIMARY KEY,
  document_key          text        NOT NULL, -- Composition.identifier as system|value
  version               integer     NOT NULL, -- 1, 2, ... in order of acceptance
  content_hash          text        NOT NULL, -- sha256 of the payload bytes
  format                text        NOT NULL, -- fhir-json | oioxml
  media_type            text        NOT NULL,
  payload               bytea       NOT NULL,
  document_type         text        NOT NULL, -- epikrise | udskrivningsrapport | plejeforloebsplan | genoptraeningsplan
  status                text        NOT NULL, -- current | superseded | entered-in-error
  sender_org            text        NOT NULL, -- SOR code of the custodian
  client_id             text        NOT NULL,
  bundle_id             text        NOT NULL,
  document_reference_id text        NOT NULL,
  document_timestamp    timestamptz NOT NULL, -- Bundle.timestamp: orders versions
  received_at           timestamptz NOT NULL,
  mapping               text,                 -- <mapping id>|<version> for mapped input
  answer_status         integer     NOT NULL,
  answer                jsonb       NOT NULL, -- the response as given, replayed for a resubmission
  UNIQUE (document_key, version),
  UNIQUE (document_key, content_hash)
);
CREATE INDEX documents_key ON documents (document_key, version DESC);
