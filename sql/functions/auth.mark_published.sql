CREATE OR REPLACE FUNCTION auth.mark_published(p_event_ids uuid[])
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_marked integer;
BEGIN
  UPDATE auth.outbox SET published_at = now()
  WHERE event_id = ANY (p_event_ids) AND published_at IS NULL;
  GET DIAGNOSTICS v_marked = ROW_COUNT;
  RETURN v_marked;
END
$function$;

COMMENT ON FUNCTION auth.mark_published(uuid[]) IS
  'Marks events announced on Redis; returns how many were still unmarked.';

REVOKE ALL ON FUNCTION auth.mark_published(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.mark_published(uuid[]) TO auth_service;
