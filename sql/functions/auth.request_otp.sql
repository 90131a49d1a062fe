CREATE OR REPLACE FUNCTION auth.request_otp(p_phone text, p_purpose text, p_code_digest bytea, p_ttl_seconds integer, p_resend_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_code    auth.otp_codes;
  v_taken   boolean;
BEGIN
  -- Known or not, the phone gets a row: the resend delay must answer alike.
  INSERT INTO auth.otp_codes AS c (phone, purpose, code_digest, expires_at)
  VALUES (p_phone, p_purpose, p_code_digest, now() + make_interval(secs => p_ttl_seconds))
  ON CONFLICT (phone, purpose) DO UPDATE
    SET code_digest = excluded.code_digest, attempts = 0, created_at = now(),
        expires_at = excluded.expires_at, used_at = NULL
    WHERE c.created_at <= now() - make_interval(secs => p_resend_seconds)
  RETURNING * INTO v_code;
  IF NOT FOUND THEN
    SELECT * INTO v_code FROM auth.otp_codes WHERE phone = p_phone AND purpose = p_purpose;
    RETURN jsonb_build_object('outcome', 'too_soon', 'retry_after',
      greatest(1, ceil(extract(epoch FROM v_code.created_at
                               + make_interval(secs => p_resend_seconds) - now())))::integer);
  END IF;
  -- Whether an SMS should go out: to sign in, only to a phone someone signs
  -- in with; to register, only to a phone nobody holds; to verify, any.
  v_taken := EXISTS (SELECT FROM accounts.contacts c JOIN accounts.users u ON u.id = c.user_id
                     WHERE c.contact_type = 'phone' AND c.value = p_phone AND c.is_active
                       AND (p_purpose <> 'login' OR u.is_active));
  RETURN jsonb_build_object('outcome', 'issued',
    'deliver', CASE p_purpose WHEN 'login' THEN v_taken
                              WHEN 'register' THEN NOT v_taken
                              ELSE true END);
END
$function$;

COMMENT ON FUNCTION auth.request_otp(text,text,bytea,integer,integer) IS
  'Stores a new code (its keyed digest) for a phone (E.164) and purpose, replacing the previous one once p_resend_seconds have passed since it. Returns {outcome: issued, deliver} (deliver: whether an SMS should go out: login to an active user''s phone, register to a phone nobody holds, verify_phone always) or {outcome: too_soon, retry_after} (seconds). Unknown phones get a row too, so both answers look alike.';

REVOKE ALL ON FUNCTION auth.request_otp(text,text,bytea,integer,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.request_otp(text,text,bytea,integer,integer) TO auth_service;
