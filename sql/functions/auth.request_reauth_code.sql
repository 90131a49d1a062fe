CREATE OR REPLACE FUNCTION auth.request_reauth_code(p_user_id uuid, p_session_id uuid, p_code_digest bytea, p_ttl_seconds integer, p_resend_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_phone text;
  v_code  auth.otp_codes;
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  SELECT value INTO v_phone FROM accounts.contacts
  WHERE user_id = p_user_id AND contact_type = 'phone' AND is_active AND verified_at IS NOT NULL;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'no_verified_phone');
  END IF;
  INSERT INTO auth.otp_codes AS c (phone, purpose, user_id, code_digest, expires_at)
  VALUES (v_phone, 'reauth', p_user_id, p_code_digest, now() + make_interval(secs => p_ttl_seconds))
  ON CONFLICT (phone, purpose, owner) DO UPDATE
    SET code_digest = excluded.code_digest, user_id = excluded.user_id, attempts = 0,
        created_at = now(), expires_at = excluded.expires_at, used_at = NULL
    WHERE c.created_at <= now() - make_interval(secs => p_resend_seconds)
  RETURNING * INTO v_code;
  IF NOT FOUND THEN
    SELECT * INTO v_code FROM auth.otp_codes c
    WHERE c.phone = v_phone AND c.purpose = 'reauth' AND c.owner = p_user_id;
    RETURN jsonb_build_object('outcome', 'too_soon', 'retry_after',
      greatest(1, ceil(extract(epoch FROM v_code.created_at
                               + make_interval(secs => p_resend_seconds) - now())))::integer);
  END IF;
  RETURN jsonb_build_object('outcome', 'issued', 'phone', v_phone);
END
$function$;

COMMENT ON FUNCTION auth.request_reauth_code(uuid,uuid,bytea,integer,integer) IS
  'Stores a reauth code (keyed digest over the user id) for the signed-in user''s current verified phone, once p_resend_seconds have passed since the last. Returns {outcome: issued, phone} (where to send it), {outcome: too_soon, retry_after}, {outcome: no_verified_phone} or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.request_reauth_code(uuid,uuid,bytea,integer,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.request_reauth_code(uuid,uuid,bytea,integer,integer) TO auth_service;
