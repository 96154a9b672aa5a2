-- One resource write in one round trip (issue #9). Before, a write was eight statements one after
-- another (lock, current version, version row, current row, index delete, index insert, grants,
-- grants read); on 2 cores each round trip costs a wake-up of the backend and the client, and the
-- benchmark's profile showed the ingest bound by them, not by the work in either process.
--
-- p_mode: 'create' (a new id), 'update' (create if missing) or 'delete' (nothing if missing or
-- deleted). p_content is the stored form without meta.versionId, which is set here; null deletes.
-- p_if_match: the version the caller expects to be current, or null.
-- written = false means nothing was written: the If-Match version was not current (update) or
-- there was nothing to delete (delete); current_version tells the caller which.
CREATE FUNCTION write_resource_version(
  p_mode text, p_type text, p_id text, p_if_match integer, p_content jsonb, p_now timestamptz,
  p_index jsonb, p_grants text[],
  OUT written boolean, OUT current_version integer, OUT current_deleted boolean,
  OUT version_id integer, OUT seq bigint, OUT grants text[]
) LANGUAGE plpgsql AS $$
DECLARE
  v_content jsonb;
BEGIN
  -- Serialises writers of one resource, including two creates of one new id where there is no row to lock
  -- yet; the key carries the schema, like every advisory lock here. In a volatile function each statement
  -- below takes a new snapshot, so the read after the lock sees what the last holder committed.
  IF p_mode <> 'create' THEN
    PERFORM pg_advisory_xact_lock(hashtextextended(current_schema() || ':resource:' || p_type || '/' || p_id, 0));
    SELECT r.version_id, r.deleted INTO current_version, current_deleted
      FROM resources r WHERE r.resource_type = p_type AND r.id = p_id;
  END IF;
  IF (p_if_match IS NOT NULL AND current_version IS DISTINCT FROM p_if_match)
     OR (p_mode = 'delete' AND (current_version IS NULL OR current_deleted)) THEN
    written := false;
    RETURN;
  END IF;

  written := true;
  version_id := coalesce(current_version, 0) + 1;
  v_content := CASE WHEN p_content IS NULL THEN NULL
    ELSE jsonb_set(p_content, '{meta,versionId}', to_jsonb(version_id::text)) END;

  INSERT INTO resource_versions (resource_type, id, version_id, seq, last_updated, deleted, content)
  VALUES (p_type, p_id, version_id, nextval('resource_seq'), p_now, v_content IS NULL, v_content)
  RETURNING resource_versions.seq INTO seq;

  INSERT INTO resources AS r (resource_type, id, version_id, seq, last_updated, deleted, content)
  VALUES (p_type, p_id, version_id, seq, p_now, v_content IS NULL, v_content)
  ON CONFLICT (resource_type, id) DO UPDATE SET version_id = EXCLUDED.version_id, seq = EXCLUDED.seq,
    last_updated = EXCLUDED.last_updated, deleted = EXCLUDED.deleted, content = EXCLUDED.content;

  IF current_version IS NOT NULL THEN
    DELETE FROM search_index s WHERE s.resource_type = p_type AND s.resource_id = p_id;
  END IF;
  INSERT INTO search_index (resource_type, resource_id, param, system, code, ref_type, ref_id, date_low, date_high)
  SELECT p_type, p_id, x.param, x.system, x.code, x.ref_type, x.ref_id, x.date_low, x.date_high
  FROM jsonb_to_recordset(coalesce(p_index, '[]'::jsonb))
    AS x(param text, system text, code text, ref_type text, ref_id text, date_low timestamptz, date_high timestamptz);

  -- Grants accumulate; nothing is ever dropped.
  INSERT INTO resource_access (resource_type, id, org)
  SELECT p_type, p_id, g FROM unnest(p_grants) AS g WHERE g <> ''
  ON CONFLICT DO NOTHING;
  grants := ARRAY(SELECT a.org FROM resource_access a WHERE a.resource_type = p_type AND a.id = p_id ORDER BY a.org);
END;
$$;
