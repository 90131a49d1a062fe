CREATE OR REPLACE FUNCTION auth.confirm_totp(p_user_id uuid, p_session_id uuid, p_sealed_secret bytea, p_step bigint, p_recovery_digests jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  PERFORM FROM accounts.users WHERE id = p_user_id FOR UPDATE;
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  -- The code proves the app holds the secret; its step is spent.
  -- The secret the code was checked against (not one a racing enrolment
  -- put in its place), enrolled in the last ten minutes.
  UPDATE auth.mfa_totp SET confirmed_at = now(), last_step = p_step
  WHERE user_id = p_user_id AND confirmed_at IS NULL AND sealed_secret = p_sealed_secret
    AND created_at > now() - interval '10 minutes'
    AND (last_step IS NULL OR last_step < p_step);
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'not_started');
  END IF;
  DELETE FROM auth.mfa_recovery_codes WHERE user_id = p_user_id;
  INSERT INTO auth.mfa_recovery_codes (user_id, code_digest)
  SELECT p_user_id, decode(d, 'hex') FROM jsonb_array_elements_text(p_recovery_digests) AS d;
  UPDATE accounts.users SET updated_at = now() WHERE id = p_user_id;
  -- A change of how one signs in: the other sessions end (SPEC §2).
  UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'second_factor_changed'
  WHERE user_id = p_user_id AND id <> p_session_id AND revoked_at IS NULL;
  -- A second step begun with the old credentials completes nothing.
  DELETE FROM auth.mfa_challenges WHERE user_id = p_user_id;
  -- The account's verified channels are told (a thief's enrolment must
  -- not go unseen).
  RETURN jsonb_build_object('outcome', 'confirmed') || auth.verified_channels(p_user_id, true, NULL);
END
$function$;

COMMENT ON FUNCTION auth.confirm_totp(uuid,uuid,bytea,bigint,jsonb) IS
  'Turns on the signed-in user''s TOTP enrolment in progress (p_sealed_secret: the one the code was checked against; begun at most ten minutes ago), given the time step a code of it matched (spent), with new recovery codes (p_recovery_digests: a JSON array of their keyed digests in hex), and ends the user''s other sessions. Returns {outcome: confirmed, notify_phone, notify_emails (the verified channels, told of it)}, {outcome: not_started} (no enrolment in progress, or the step already spent) or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.confirm_totp(uuid,uuid,bytea,bigint,jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.confirm_totp(uuid,uuid,bytea,bigint,jsonb) TO auth_service;
