CREATE OR REPLACE FUNCTION auth.ping()
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  RETURN true;
END
$function$;

COMMENT ON FUNCTION auth.ping() IS
  'Readiness: true when the database answers the service role.';

REVOKE ALL ON FUNCTION auth.ping() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.ping() TO auth_service;
