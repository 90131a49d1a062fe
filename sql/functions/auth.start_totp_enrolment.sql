CREATE OR REPLACE FUNCTION auth.start_totp_enrolment(p_user_id uuid, p_session_id uuid, p_checked_password_hash text, p_reauth_proof_digest bytea, p_sealed_secret bytea)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_refused jsonb;
BEGIN
  -- A sensitive change (SPEC §2): a fresh proof of the account, under the
  -- user's row lock.
  v_refused := auth.confirm_account(p_user_id, p_session_id, p_checked_password_hash,
                                    p_reauth_proof_digest);
  IF v_refused IS NOT NULL THEN
    RETURN v_refused;
  END IF;
  IF EXISTS (SELECT FROM auth.mfa_totp WHERE user_id = p_user_id AND confirmed_at IS NOT NULL) THEN
    -- Nothing changed: the proof stays usable (turn it off first).
    UPDATE auth.otp_proofs SET used_at = NULL WHERE proof_digest = p_reauth_proof_digest;
    RETURN jsonb_build_object('outcome', 'already_enrolled');
  END IF;
  -- An enrolment not confirmed yet is replaced: the newest QR code counts.
  INSERT INTO auth.mfa_totp AS t (user_id, sealed_secret)
  VALUES (p_user_id, p_sealed_secret)
  ON CONFLICT (user_id) DO UPDATE
    SET sealed_secret = excluded.sealed_secret, last_step = NULL, created_at = now();
  RETURN jsonb_build_object('outcome', 'started');
END
$function$;

COMMENT ON FUNCTION auth.start_totp_enrolment(uuid,uuid,text,bytea,bytea) IS
  'Starts a TOTP enrolment after a fresh proof of the account (auth.confirm_account): stores the sealed secret, unconfirmed (replacing an unconfirmed one). Returns {outcome: started}, {outcome: already_enrolled} (a second factor is on: turn it off first) or auth.confirm_account''s refusals.';

REVOKE ALL ON FUNCTION auth.start_totp_enrolment(uuid,uuid,text,bytea,bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.start_totp_enrolment(uuid,uuid,text,bytea,bytea) TO auth_service;
