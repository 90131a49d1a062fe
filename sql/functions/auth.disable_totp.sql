CREATE OR REPLACE FUNCTION auth.disable_totp(p_user_id uuid, p_session_id uuid, p_checked_password_hash text, p_reauth_proof_digest bytea, p_step bigint, p_recovery_digest bytea)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_refused jsonb;
  v_passed  boolean := false;
BEGIN
  v_refused := auth.confirm_account(p_user_id, p_session_id, p_checked_password_hash,
                                    p_reauth_proof_digest);
  IF v_refused IS NOT NULL THEN
    RETURN v_refused;
  END IF;
  IF NOT EXISTS (SELECT FROM auth.mfa_totp WHERE user_id = p_user_id AND confirmed_at IS NOT NULL) THEN
    UPDATE auth.otp_proofs SET used_at = NULL WHERE proof_digest = p_reauth_proof_digest;
    RETURN jsonb_build_object('outcome', 'not_enrolled');
  END IF;
  IF p_step IS NOT NULL THEN
    UPDATE auth.mfa_totp SET last_step = p_step
    WHERE user_id = p_user_id AND (last_step IS NULL OR last_step < p_step);
    v_passed := FOUND;
  ELSIF p_recovery_digest IS NOT NULL THEN
    UPDATE auth.mfa_recovery_codes SET used_at = now()
    WHERE user_id = p_user_id AND code_digest = p_recovery_digest AND used_at IS NULL;
    v_passed := FOUND;
  END IF;
  IF NOT v_passed THEN
    -- Nothing changed: the proof of the account stays usable.
    UPDATE auth.otp_proofs SET used_at = NULL WHERE proof_digest = p_reauth_proof_digest;
    RETURN jsonb_build_object('outcome', 'wrong_code');
  END IF;
  DELETE FROM auth.mfa_totp WHERE user_id = p_user_id;
  DELETE FROM auth.mfa_recovery_codes WHERE user_id = p_user_id;
  UPDATE accounts.users SET updated_at = now() WHERE id = p_user_id;
  UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'second_factor_changed'
  WHERE user_id = p_user_id AND id <> p_session_id AND revoked_at IS NULL;
  -- This session no longer stands for a second factor: its next tokens
  -- say so.
  UPDATE auth.sessions SET amr = array_remove(array_remove(amr, 'otp'), 'mfa')
  WHERE id = p_session_id;
  -- A second step begun with the old credentials completes nothing.
  DELETE FROM auth.mfa_challenges WHERE user_id = p_user_id;
  -- The account's verified channels are told (a thief's enrolment must
  -- not go unseen).
  RETURN jsonb_build_object('outcome', 'disabled') || auth.verified_channels(p_user_id, true, NULL);
END
$function$;

COMMENT ON FUNCTION auth.disable_totp(uuid,uuid,text,bytea,bigint,bytea) IS
  'Turns the signed-in user''s second factor off: a sensitive change (auth.confirm_account''s fresh proof) that also takes a current code (p_step, the time step it matched, accepted past the last one) or an unused recovery code (p_recovery_digest). Deletes the secret and the recovery codes and ends the user''s other sessions. Returns {outcome: disabled, notify_phone, notify_emails (the verified channels, told of it)}, {outcome: wrong_code}, {outcome: not_enrolled} or auth.confirm_account''s refusals.';

REVOKE ALL ON FUNCTION auth.disable_totp(uuid,uuid,text,bytea,bigint,bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.disable_totp(uuid,uuid,text,bytea,bigint,bytea) TO auth_service;
