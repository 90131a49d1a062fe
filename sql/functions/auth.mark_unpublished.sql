CREATE OR REPLACE FUNCTION auth.mark_unpublished(p_event_ids uuid[])
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_marked integer;
BEGIN
  UPDATE auth.outbox SET published_at = NULL
  WHERE event_id = ANY (p_event_ids) AND published_at IS NOT NULL;
  GET DIAGNOSTICS v_marked = ROW_COUNT;
  RETURN v_marked;
END
$function$;

COMMENT ON FUNCTION auth.mark_unpublished(uuid[]) IS
  'Gives back events written already marked published (a registration''s own) that could not be announced on Redis: a later request''s sweep (auth.unpublished_events) or the operator command announces them. Returns how many were marked.';

REVOKE ALL ON FUNCTION auth.mark_unpublished(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.mark_unpublished(uuid[]) TO auth_service;
