CREATE OR REPLACE FUNCTION auth.sessions_ended_now()
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  -- Every function that ends a session sets revoked_at = now(), which is the
  -- start of the transaction: the sessions this transaction ended (and any
  -- other ended at that same instant, which is just as ended).
  RETURN (SELECT coalesce(jsonb_agg(id), '[]'::jsonb) FROM auth.sessions WHERE revoked_at = now());
END
$function$;

COMMENT ON FUNCTION auth.sessions_ended_now() IS
  'Ids of the sessions ended by the current transaction, as a jsonb array: what the component mirrors to Redis before it commits.';

REVOKE ALL ON FUNCTION auth.sessions_ended_now() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.sessions_ended_now() TO auth_service;
