CREATE OR REPLACE FUNCTION auth.unpublished_events(p_older_than_seconds integer, p_limit integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  RETURN (SELECT coalesce(jsonb_agg(auth.outbox_message(o) ORDER BY o.created_at), '[]'::jsonb)
          FROM (SELECT * FROM auth.outbox
                WHERE published_at IS NULL
                  AND created_at < now() - make_interval(secs => p_older_than_seconds)
                ORDER BY created_at
                LIMIT p_limit) o);
END
$function$;

COMMENT ON FUNCTION auth.unpublished_events(integer,integer) IS
  'Up to p_limit messages of events still unpublished p_older_than_seconds after they were written, oldest first.';

REVOKE ALL ON FUNCTION auth.unpublished_events(integer,integer) FROM PUBLIC;
