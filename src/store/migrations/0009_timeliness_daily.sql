-- The indicator's daily totals (issue #9). Counting a year of discharges row by row took a second at
-- a million discharges; the KPI now adds up one row per (Copenhagen day, hospital, department,
-- document type) for the whole days of its range, counts the partial days at its ends row by row,
-- and counts pending and overdue (which depend on the time asked) from the few rows nothing was
-- sent for yet. The state gauges of /metrics read the same totals.
--
-- Writers never touch a totals row: a trigger appends each expectation's change as a delta row
-- (what the new row counts, minus what the old one counted), so concurrent ingests do not queue on
-- a shared counter. timeliness_compact_daily() folds the deltas into the totals; readers add both.
CREATE TABLE timeliness_daily (
  day                    date   NOT NULL, -- Copenhagen date of discharged_at
  hospital_sor           text   NOT NULL,
  department_sor         text   NOT NULL, -- '' when unknown (a key cannot be null)
  document_type          text   NOT NULL,
  discharges             bigint NOT NULL,
  excluded               bigint NOT NULL,
  sent                   bigint NOT NULL,
  sent_on_time           bigint NOT NULL,
  sent_late              bigint NOT NULL,
  sent_within_three      bigint NOT NULL,
  delivered_on_time      bigint NOT NULL,
  delivered_late         bigint NOT NULL,
  delivered_within_three bigint NOT NULL,
  own_on_time            bigint NOT NULL, -- on time / late on the row's own clock, and no deadline yet: the state gauges
  own_late               bigint NOT NULL,
  no_deadline            bigint NOT NULL,
  PRIMARY KEY (day, hospital_sor, department_sor, document_type)
);

-- The same columns (and NOT NULLs), without the key: one row per change, appended, never updated.
CREATE TABLE timeliness_daily_delta (LIKE timeliness_daily);

-- Pending and overdue are counted live, from the rows not yet sent (or delivered) on their clock;
-- the included columns let PostgreSQL answer from the index alone.
CREATE INDEX timeliness_unsent ON timeliness_expectations (discharged_at)
  INCLUDE (due_at, hospital_sor, department_sor, document_type) WHERE exclusion_reason IS NULL AND sent_at IS NULL;
CREATE INDEX timeliness_undelivered ON timeliness_expectations (discharged_at)
  INCLUDE (due_at, hospital_sor, department_sor, document_type) WHERE exclusion_reason IS NULL AND delivered_at IS NULL;
-- The state gauges: the rows with a discharge that nothing was sent for yet on their own clock.
CREATE INDEX timeliness_open_own_clock ON timeliness_expectations (due_at) INCLUDE (document_type)
  WHERE exclusion_reason IS NULL AND discharged_at IS NOT NULL AND (CASE clock WHEN 'delivered' THEN delivered_at ELSE sent_at END) IS NULL;

-- What one expectation row counts in the totals (sign -1 takes it out again), as the KPI counted it;
-- a comparison with a null (no deadline yet) counts for nothing.
CREATE FUNCTION timeliness_daily_append(r timeliness_expectations, sign integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  counted boolean := r.exclusion_reason IS NULL;
  own_at timestamptz := CASE r.clock WHEN 'delivered' THEN r.delivered_at ELSE r.sent_at END;
BEGIN
  IF r.discharged_at IS NULL THEN
    RETURN; -- the discharge is not known yet: the row is in no range
  END IF;
  INSERT INTO timeliness_daily_delta VALUES (
    (r.discharged_at AT TIME ZONE 'Europe/Copenhagen')::date, r.hospital_sor, coalesce(r.department_sor, ''), r.document_type,
    sign,
    sign * (NOT counted)::int,
    sign * (counted AND r.sent_at IS NOT NULL)::int,
    sign * (counted AND (r.sent_at <= r.due_at) IS TRUE)::int,
    sign * (counted AND (r.sent_at > r.due_at) IS TRUE)::int,
    sign * (counted AND r.sent_at IS NOT NULL AND r.within_three IS TRUE)::int,
    sign * (counted AND (r.delivered_at <= r.due_at) IS TRUE)::int,
    sign * (counted AND (r.delivered_at > r.due_at) IS TRUE)::int,
    sign * (counted AND r.delivered_at IS NOT NULL AND r.delivered_within_three IS TRUE)::int,
    sign * (counted AND (own_at <= r.due_at) IS TRUE)::int,
    sign * (counted AND (own_at > r.due_at) IS TRUE)::int,
    sign * (counted AND r.due_at IS NULL)::int
  );
END;
$$;

CREATE FUNCTION timeliness_daily_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM timeliness_daily_append(OLD, -1);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM timeliness_daily_append(NEW, 1);
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER timeliness_daily_insert AFTER INSERT ON timeliness_expectations
  FOR EACH ROW EXECUTE FUNCTION timeliness_daily_track();
CREATE TRIGGER timeliness_daily_delete AFTER DELETE ON timeliness_expectations
  FOR EACH ROW EXECUTE FUNCTION timeliness_daily_track();
-- State, alert and bookkeeping columns change often and count for nothing here.
CREATE TRIGGER timeliness_daily_update AFTER UPDATE ON timeliness_expectations
  FOR EACH ROW WHEN (
    OLD.discharged_at IS DISTINCT FROM NEW.discharged_at OR OLD.hospital_sor IS DISTINCT FROM NEW.hospital_sor
    OR OLD.department_sor IS DISTINCT FROM NEW.department_sor OR OLD.document_type IS DISTINCT FROM NEW.document_type
    OR OLD.exclusion_reason IS DISTINCT FROM NEW.exclusion_reason OR OLD.due_at IS DISTINCT FROM NEW.due_at
    OR OLD.sent_at IS DISTINCT FROM NEW.sent_at OR OLD.delivered_at IS DISTINCT FROM NEW.delivered_at
    OR OLD.within_three IS DISTINCT FROM NEW.within_three OR OLD.delivered_within_three IS DISTINCT FROM NEW.delivered_within_three
    OR OLD.clock IS DISTINCT FROM NEW.clock
  ) EXECUTE FUNCTION timeliness_daily_track();

-- Folds the deltas into the totals; one compaction at a time per schema (another returns at once, 0).
CREATE FUNCTION timeliness_compact_daily() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  folded bigint;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtextextended(current_schema() || ':timeliness-daily-compaction', 0)) THEN
    RETURN 0;
  END IF;
  WITH moved AS (
    DELETE FROM timeliness_daily_delta RETURNING *
  ), summed AS (
    SELECT day, hospital_sor, department_sor, document_type,
      sum(discharges) AS discharges, sum(excluded) AS excluded, sum(sent) AS sent, sum(sent_on_time) AS sent_on_time,
      sum(sent_late) AS sent_late, sum(sent_within_three) AS sent_within_three, sum(delivered_on_time) AS delivered_on_time,
      sum(delivered_late) AS delivered_late, sum(delivered_within_three) AS delivered_within_three,
      sum(own_on_time) AS own_on_time, sum(own_late) AS own_late, sum(no_deadline) AS no_deadline, count(*) AS n
    FROM moved GROUP BY 1, 2, 3, 4
  ), upserted AS (
    INSERT INTO timeliness_daily AS d
    SELECT day, hospital_sor, department_sor, document_type, discharges, excluded, sent, sent_on_time, sent_late,
      sent_within_three, delivered_on_time, delivered_late, delivered_within_three, own_on_time, own_late, no_deadline
    FROM summed ORDER BY 1, 2, 3, 4
    ON CONFLICT (day, hospital_sor, department_sor, document_type) DO UPDATE SET
      discharges = d.discharges + EXCLUDED.discharges, excluded = d.excluded + EXCLUDED.excluded, sent = d.sent + EXCLUDED.sent,
      sent_on_time = d.sent_on_time + EXCLUDED.sent_on_time, sent_late = d.sent_late + EXCLUDED.sent_late,
      sent_within_three = d.sent_within_three + EXCLUDED.sent_within_three,
      delivered_on_time = d.delivered_on_time + EXCLUDED.delivered_on_time, delivered_late = d.delivered_late + EXCLUDED.delivered_late,
      delivered_within_three = d.delivered_within_three + EXCLUDED.delivered_within_three,
      own_on_time = d.own_on_time + EXCLUDED.own_on_time, own_late = d.own_late + EXCLUDED.own_late,
      no_deadline = d.no_deadline + EXCLUDED.no_deadline
    RETURNING 1
  )
  -- upserted runs to completion though nothing reads it (PostgreSQL runs every data-modifying WITH).
  SELECT coalesce(sum(n), 0) INTO folded FROM summed;
  -- Days whose rows all went elsewhere (a corrected discharge time) keep nothing.
  DELETE FROM timeliness_daily WHERE discharges = 0;
  RETURN folded;
END;
$$;

-- Rows already stored (an upgrade) enter the totals once.
SELECT timeliness_daily_append(e, 1) FROM timeliness_expectations e WHERE discharged_at IS NOT NULL;
