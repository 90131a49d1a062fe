CREATE OR REPLACE FUNCTION auth.complete_second_factor(p_token_digest bytea, p_step bigint, p_recovery_digest bytea, p_max_attempts integer, p_refresh_seed bytea, p_ttl_seconds integer, p_max_sessions integer, p_user_agent text, p_client_ip text)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_challenge auth.mfa_challenges;
  v_passed    boolean := false;
  v_opened    jsonb;
  v_amr       text[];
BEGIN
  -- The user row first, then the challenge's: the order a password change
  -- or reset takes them (they delete the user's challenges), so the two
  -- never deadlock. Tries of one challenge take turns on its row.
  SELECT * INTO v_challenge FROM auth.mfa_challenges WHERE token_digest = p_token_digest;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  PERFORM FROM accounts.users WHERE id = v_challenge.user_id FOR UPDATE;
  SELECT * INTO v_challenge FROM auth.mfa_challenges
  WHERE token_digest = p_token_digest FOR UPDATE;
  IF NOT FOUND OR v_challenge.used_at IS NOT NULL OR v_challenge.expires_at <= now()
     OR v_challenge.attempts >= p_max_attempts THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  IF p_step IS NOT NULL THEN
    -- Each time step once (RFC 6238 §5.2): a code replayed within its 30 s,
    -- or an older one, finds no row to move forward.
    UPDATE auth.mfa_totp SET last_step = p_step
    WHERE user_id = v_challenge.user_id AND confirmed_at IS NOT NULL
      AND (last_step IS NULL OR last_step < p_step);
    v_passed := FOUND;
  ELSIF p_recovery_digest IS NOT NULL THEN
    UPDATE auth.mfa_recovery_codes SET used_at = now()
    WHERE user_id = v_challenge.user_id AND code_digest = p_recovery_digest AND used_at IS NULL;
    v_passed := FOUND;
  END IF;
  IF NOT v_passed THEN
    UPDATE auth.mfa_challenges SET attempts = attempts + 1 WHERE token_digest = p_token_digest;
    RETURN jsonb_build_object('outcome', 'wrong', 'user_id', v_challenge.user_id,
      'attempts_left', greatest(0, p_max_attempts - v_challenge.attempts - 1));
  END IF;
  UPDATE auth.mfa_challenges SET used_at = now() WHERE token_digest = p_token_digest;
  v_amr := ARRAY[v_challenge.first_factor, 'otp', 'mfa'];
  v_opened := auth.open_session(v_challenge.user_id, p_refresh_seed, p_ttl_seconds,
                                p_max_sessions, p_user_agent, p_client_ip, v_amr);
  IF v_opened->>'outcome' <> 'opened' THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  RETURN v_opened || jsonb_build_object(
    'user_id', v_challenge.user_id,
    'amr', to_jsonb(v_amr),
    'recovery_codes_left', CASE WHEN p_recovery_digest IS NOT NULL THEN
      (SELECT count(*) FROM auth.mfa_recovery_codes
       WHERE user_id = v_challenge.user_id AND used_at IS NULL) END,
    'seconds_left', floor(extract(epoch FROM (v_opened->>'expires_at')::timestamptz - now()))::bigint);
END
$function$;

COMMENT ON FUNCTION auth.complete_second_factor(bytea,bigint,bytea,integer,bytea,integer,integer,text,text) IS
  'The second step of a sign-in: given the challenge (p_token_digest) and either the time step a TOTP code matched (p_step, accepted only past the last accepted one) or a recovery code''s digest (p_recovery_digest, unused), spends the challenge and opens its one session (auth.open_session; amr: the first factor, otp, mfa; the caller mirrors evictions before committing). Neither given, or not accepted: a try of the challenge is counted (p_max_attempts end it). Returns auth.open_session''s opened with user_id, amr, recovery_codes_left (after a recovery code) and seconds_left; {outcome: wrong, user_id, attempts_left}; or {outcome: invalid} (unknown, used, expired or out of tries).';

REVOKE ALL ON FUNCTION auth.complete_second_factor(bytea,bigint,bytea,integer,bytea,integer,integer,text,text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.complete_second_factor(bytea,bigint,bytea,integer,bytea,integer,integer,text,text) TO auth_service;
