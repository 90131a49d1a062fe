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
  -- The oldest confirmed one (or, before any is confirmed, any): a key
  -- that opens only new enrolments is still the wrong key for the
  -- users who enrolled under the old one.
  FROM auth.mfa_totp ORDER BY confirmed_at IS NULL, created_at LIMIT 1;
  RETURN v_found;
END
$function$;

COMMENT ON FUNCTION auth.second_factor_sample() IS
  'One stored TOTP secret, sealed ({user_id, sealed_secret (hex)}; the oldest confirmed one, else any), or NULL when nobody has one: readiness then needs mfa_encryption_key, and checks that it opens this one.';

REVOKE ALL ON FUNCTION auth.second_factor_sample() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.second_factor_sample() TO auth_service;
