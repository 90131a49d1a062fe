CREATE OR REPLACE FUNCTION auth.second_factor_challenge(p_token_digest bytea)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_found jsonb;
BEGIN
  SELECT jsonb_build_object('outcome', 'pending', 'user_id', c.user_id,
                            'sealed_secret', encode(t.sealed_secret, 'hex'),
                            'last_step', t.last_step)
  INTO v_found
  FROM auth.mfa_challenges c
  JOIN auth.mfa_totp t ON t.user_id = c.user_id AND t.confirmed_at IS NOT NULL
  JOIN accounts.users u ON u.id = c.user_id AND u.is_active
  WHERE c.token_digest = p_token_digest AND c.used_at IS NULL AND c.expires_at > now();
  RETURN coalesce(v_found, jsonb_build_object('outcome', 'invalid'));
END
$function$;

COMMENT ON FUNCTION auth.second_factor_challenge(bytea) IS
  'A pending challenge (p_token_digest: SHA-256 of the mfa_token; unused, unexpired, its user active with a second factor on): {outcome: pending, user_id, sealed_secret (hex), last_step}, for the component to check a code against; else {outcome: invalid}. Reads only.';

REVOKE ALL ON FUNCTION auth.second_factor_challenge(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.second_factor_challenge(bytea) TO auth_service;
