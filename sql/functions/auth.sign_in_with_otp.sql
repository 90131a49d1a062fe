CREATE OR REPLACE FUNCTION auth.sign_in_with_otp(p_phone text, p_code_digest bytea, p_max_attempts integer, p_refresh_seed bytea, p_ttl_seconds integer, p_max_sessions integer, p_user_agent text, p_client_ip text, p_mfa_token_digest bytea, p_mfa_ttl_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_used    jsonb;
  v_user_id uuid;
  v_opened  jsonb;
BEGIN
  v_used := auth.use_otp(p_phone, 'login', NULL, p_code_digest, p_max_attempts);
  IF v_used->>'outcome' <> 'used' THEN
    RETURN v_used;
  END IF;
  SELECT c.user_id INTO v_user_id FROM accounts.contacts c
  WHERE c.contact_type = 'phone' AND c.value = p_phone AND c.is_active
    AND c.verified_at IS NOT NULL;
  IF NOT FOUND THEN
    -- The phone changed hands or was replaced since the code went out; an
    -- unverified phone signs nobody in (SPEC §2).
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  -- Under the user's lock, which turning a second factor on takes too.
  PERFORM FROM accounts.users WHERE id = v_user_id AND is_active FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  IF EXISTS (SELECT FROM auth.mfa_totp WHERE user_id = v_user_id AND confirmed_at IS NOT NULL) THEN
    -- A second factor is on: the code is the first of two, and the token
    -- pair comes from auth.complete_second_factor.
    INSERT INTO auth.mfa_challenges (token_digest, user_id, first_factor, expires_at)
    VALUES (p_mfa_token_digest, v_user_id, 'sms', now() + make_interval(secs => p_mfa_ttl_seconds));
    RETURN jsonb_build_object('outcome', 'second_factor_required', 'user_id', v_user_id);
  END IF;
  v_opened := auth.open_session(v_user_id, p_refresh_seed, p_ttl_seconds, p_max_sessions,
                                p_user_agent, p_client_ip, '{sms}');
  IF v_opened->>'outcome' <> 'opened' THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  RETURN v_opened || jsonb_build_object(
    'user_id', v_user_id,
    'seconds_left', floor(extract(epoch FROM (v_opened->>'expires_at')::timestamptz - now()))::bigint);
END
$function$;

COMMENT ON FUNCTION auth.sign_in_with_otp(text,bytea,integer,bytea,integer,integer,text,text,bytea,integer) IS
  'Signs in by a login code: uses the code (auth.use_otp) and opens a session for the active user holding the phone verified (auth.open_session, evicting the oldest beyond p_max_sessions; the caller mirrors what ended before committing). For a user with a second factor it opens nothing: it stores a challenge (p_mfa_token_digest, the SHA-256 of the mfa_token, valid p_mfa_ttl_seconds) and returns {outcome: second_factor_required, user_id}. Returns {outcome: opened, user_id, session_id, expires_at, roles, organizations, seconds_left} (its amr: sms), {outcome: wrong, attempts_left} or {outcome: invalid} (no usable code, or no active user holds the phone verified).';

REVOKE ALL ON FUNCTION auth.sign_in_with_otp(text,bytea,integer,bytea,integer,integer,text,text,bytea,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.sign_in_with_otp(text,bytea,integer,bytea,integer,integer,text,text,bytea,integer) TO auth_service;
