CREATE OR REPLACE FUNCTION auth.confirm_account(p_user_id uuid, p_session_id uuid, p_checked_password_hash text, p_reauth_proof_digest bytea)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_current text;
BEGIN
  -- The user's sensitive changes take turns on the user row.
  SELECT password_hash INTO v_current FROM accounts.users WHERE id = p_user_id FOR UPDATE;
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  IF p_reauth_proof_digest IS NOT NULL THEN
    -- Sent to the phone the user has now: a phone replaced since proves
    -- nothing more.
    UPDATE auth.otp_proofs p SET used_at = now()
    WHERE p.proof_digest = p_reauth_proof_digest AND p.purpose = 'reauth'
      AND p.user_id = p_user_id AND p.used_at IS NULL AND p.expires_at > now()
      AND EXISTS (SELECT FROM accounts.contacts c
                  WHERE c.user_id = p_user_id AND c.contact_type = 'phone' AND c.value = p.phone
                    AND c.is_active AND c.verified_at IS NOT NULL);
    IF NOT FOUND THEN
      RETURN jsonb_build_object('outcome', 'reauth_invalid');
    END IF;
    RETURN NULL;
  END IF;
  IF p_checked_password_hash IS NULL THEN
    RETURN jsonb_build_object('outcome', 'reauth_required');
  END IF;
  IF v_current IS DISTINCT FROM p_checked_password_hash THEN
    -- Another change committed since the password was verified.
    RETURN jsonb_build_object('outcome', 'credentials_changed');
  END IF;
  RETURN NULL;
END
$function$;

COMMENT ON FUNCTION auth.confirm_account(uuid,uuid,text,bytea) IS
  'A fresh proof of the account for a sensitive change (SPEC §2), under the user''s row lock: NULL when the session is active and either the reauth proof (SHA-256 given; one use, this user''s, unexpired) is used up now or p_checked_password_hash is still the user''s; else {outcome: session_inactive | reauth_invalid | reauth_required | credentials_changed}.';

REVOKE ALL ON FUNCTION auth.confirm_account(uuid,uuid,text,bytea) FROM PUBLIC;
