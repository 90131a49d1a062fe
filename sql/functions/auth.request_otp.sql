CREATE OR REPLACE FUNCTION auth.request_otp(p_phone text, p_purpose text, p_user_id uuid, p_code_digest bytea, p_ttl_seconds integer, p_resend_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_code    auth.otp_codes;
  v_deliver boolean;
BEGIN
  IF p_purpose NOT IN ('login', 'register', 'verify_phone')
     OR (p_purpose = 'verify_phone') <> (p_user_id IS NOT NULL) THEN
    RAISE EXCEPTION 'no phone code for purpose % (user given: %)', p_purpose, p_user_id IS NOT NULL
      USING ERRCODE = '22023';
  END IF;
  -- Known or not, the phone gets a row: the resend delay must answer alike.
  INSERT INTO auth.otp_codes AS c (phone, purpose, user_id, code_digest, expires_at)
  VALUES (p_phone, p_purpose, p_user_id, p_code_digest, now() + make_interval(secs => p_ttl_seconds))
  ON CONFLICT (phone, purpose, owner) DO UPDATE
    SET code_digest = excluded.code_digest, user_id = excluded.user_id, attempts = 0,
        created_at = now(), expires_at = excluded.expires_at, used_at = NULL
    WHERE c.created_at <= now() - make_interval(secs => p_resend_seconds)
  RETURNING * INTO v_code;
  IF NOT FOUND THEN
    SELECT * INTO v_code FROM auth.otp_codes c
    WHERE c.phone = p_phone AND c.purpose = p_purpose
      AND c.owner = coalesce(p_user_id, '00000000-0000-0000-0000-000000000000'::uuid);
    RETURN jsonb_build_object('outcome', 'too_soon', 'retry_after',
      greatest(1, ceil(extract(epoch FROM v_code.created_at
                               + make_interval(secs => p_resend_seconds) - now())))::integer);
  END IF;
  -- Whether an SMS should go out (SPEC §2: only a verified phone receives
  -- sign-in codes, and an unverified holder never keeps the owner out):
  -- to sign in, only to an active user's verified phone; to register or to
  -- verify, only to a phone nobody holds verified (someone else's, for
  -- verify_phone).
  CASE p_purpose
    WHEN 'login' THEN
      v_deliver := EXISTS (SELECT FROM accounts.contacts c JOIN accounts.users u ON u.id = c.user_id
                           WHERE c.contact_type = 'phone' AND c.value = p_phone AND c.is_active
                             AND c.verified_at IS NOT NULL AND u.is_active);
    ELSE
      v_deliver := NOT EXISTS (SELECT FROM accounts.contacts c
                               WHERE c.contact_type = 'phone' AND c.value = p_phone AND c.is_active
                                 AND c.verified_at IS NOT NULL
                                 AND c.user_id IS DISTINCT FROM p_user_id);
  END CASE;
  RETURN jsonb_build_object('outcome', 'issued', 'deliver', v_deliver);
END
$function$;

COMMENT ON FUNCTION auth.request_otp(text,text,uuid,bytea,integer,integer) IS
  'Stores a new code (its keyed digest) for a phone (E.164) and purpose (login, register; verify_phone bound to the signed-in p_user_id), replacing the previous one of the same asker (each signed-in user has their own verify_phone code) once p_resend_seconds have passed since it. Returns {outcome: issued, deliver} (deliver: whether an SMS should go out: login to an active user''s verified phone; register and verify_phone to a phone nobody else holds verified) or {outcome: too_soon, retry_after} (seconds). Unknown phones get a row too, so both answers look alike.';

REVOKE ALL ON FUNCTION auth.request_otp(text,text,uuid,bytea,integer,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.request_otp(text,text,uuid,bytea,integer,integer) TO auth_service;
