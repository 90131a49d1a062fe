-- Delivering the outbox (SPEC §7): every event has an id its consumers can
-- deduplicate by, and a publication mark. After a commit the component
-- announces the event on Redis and marks it published; events left
-- unpublished (Redis was down) are announced again by a later registration or
-- by the operator command `sql/publish-outbox` — at least once, never lost,
-- and a repeat carries the same event_id. The CDC connector (docs/events.md)
-- reads every row regardless of the mark.
SET LOCAL ROLE auth_owner;

ALTER TABLE auth.outbox
  ADD COLUMN event_id     uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
  ADD COLUMN published_at timestamptz;
COMMENT ON COLUMN auth.outbox.event_id IS
  'Stable id of the event: the same in the outbox, on Redis and in Kafka, so a consumer can drop repeats.';
COMMENT ON COLUMN auth.outbox.published_at IS
  'When the event was announced on Redis; NULL while it waits (the CDC pipeline does not depend on it).';
CREATE INDEX outbox_unpublished_idx ON auth.outbox (created_at) WHERE published_at IS NULL;

-- The message announced on Redis for an outbox row.
CREATE FUNCTION auth.outbox_message(p_event auth.outbox)
RETURNS jsonb
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT jsonb_build_object('event_id', p_event.event_id, 'type', p_event.event_type) || p_event.payload
$$;
COMMENT ON FUNCTION auth.outbox_message(auth.outbox) IS
  'The Redis message of an outbox row: {event_id, type} merged with its payload.';

CREATE FUNCTION auth.unpublished_events(p_older_than_seconds integer, p_limit integer)
RETURNS jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(jsonb_agg(auth.outbox_message(o) ORDER BY o.created_at), '[]'::jsonb)
  FROM (SELECT * FROM auth.outbox
        WHERE published_at IS NULL
          AND created_at < now() - make_interval(secs => p_older_than_seconds)
        ORDER BY created_at
        LIMIT p_limit) o
$$;
COMMENT ON FUNCTION auth.unpublished_events(integer, integer) IS
  'Up to p_limit messages of events still unpublished p_older_than_seconds after they were written, oldest first.';

CREATE FUNCTION auth.mark_published(p_event_ids uuid[])
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  WITH marked AS (
    UPDATE auth.outbox SET published_at = now()
    WHERE event_id = ANY (p_event_ids) AND published_at IS NULL
    RETURNING 1)
  SELECT count(*)::integer FROM marked
$$;
COMMENT ON FUNCTION auth.mark_published(uuid[]) IS
  'Marks events announced on Redis; returns how many were still unmarked.';

GRANT EXECUTE ON FUNCTION auth.mark_published(uuid[]) TO auth_service;
