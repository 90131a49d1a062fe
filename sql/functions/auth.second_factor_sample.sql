CREATE OR REPLACE FUNCTION auth.second_factor_sample()
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_found jsonb;
BEGIN
  SELECT jsonb_build_object('user_id', user_id, 'sealed_secret', encode(sealed_secret, 'hex'))
  INTO v_found
  FROM auth.mfa_totp ORDER BY created_at DESC LIMIT 1;
  RETURN v_found;
END
$function$;

COMMENT ON FUNCTION auth.second_factor_sample() IS
  'One stored TOTP secret, sealed ({user_id, sealed_secret (hex)}; the newest), or NULL when nobody has one: readiness then needs mfa_encryption_key, and checks that it opens this one.';

REVOKE ALL ON FUNCTION auth.second_factor_sample() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.second_factor_sample() TO auth_service;
