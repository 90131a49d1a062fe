CREATE OR REPLACE FUNCTION auth.totp_of(p_user_id uuid, p_session_id uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_totp auth.mfa_totp;
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  SELECT * INTO v_totp FROM auth.mfa_totp WHERE user_id = p_user_id;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'none');
  END IF;
  RETURN jsonb_build_object('outcome', 'found', 'sealed_secret', encode(v_totp.sealed_secret, 'hex'),
                            'confirmed', v_totp.confirmed_at IS NOT NULL,
                            'last_step', v_totp.last_step);
END
$function$;

COMMENT ON FUNCTION auth.totp_of(uuid,uuid) IS
  'The signed-in user''s TOTP second factor, for the component to check a code against: {outcome: found, sealed_secret (hex), confirmed, last_step}, {outcome: none} or {outcome: session_inactive}. Reads only.';

REVOKE ALL ON FUNCTION auth.totp_of(uuid,uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.totp_of(uuid,uuid) TO auth_service;
