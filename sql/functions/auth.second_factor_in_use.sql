CREATE OR REPLACE FUNCTION auth.second_factor_in_use()
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  RETURN EXISTS (SELECT FROM auth.mfa_totp);
END
$function$;

COMMENT ON FUNCTION auth.second_factor_in_use() IS
  'Whether any user has a TOTP secret stored (on, or being enrolled): readiness then needs mfa_encryption_key to open it.';

REVOKE ALL ON FUNCTION auth.second_factor_in_use() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.second_factor_in_use() TO auth_service;
