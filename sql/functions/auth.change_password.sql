CREATE OR REPLACE FUNCTION auth.change_password(p_user_id uuid, p_session_id uuid, p_checked_password_hash text, p_reauth_proof_digest bytea, p_new_password_hash text)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_refused jsonb;
  v_first   boolean;
BEGIN
  v_refused := auth.confirm_account(p_user_id, p_session_id, p_checked_password_hash,
                                    p_reauth_proof_digest);
  IF v_refused IS NOT NULL THEN
    RETURN v_refused;
  END IF;
  SELECT password_hash IS NULL INTO v_first FROM accounts.users WHERE id = p_user_id;
  UPDATE accounts.users SET password_hash = p_new_password_hash, updated_at = now()
  WHERE id = p_user_id;
  UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'password_changed'
  WHERE user_id = p_user_id AND id <> p_session_id AND revoked_at IS NULL;
  -- A second step begun with the old credentials completes nothing.
  DELETE FROM auth.mfa_challenges WHERE user_id = p_user_id;
  RETURN jsonb_build_object('outcome', 'changed', 'first', v_first);
END
$function$;

COMMENT ON FUNCTION auth.change_password(uuid,uuid,text,bytea,text) IS
  'Sets a new password hash after a fresh proof of the account (auth.confirm_account: the hash verified, still current under the row lock, or a reauth proof), and revokes every other session of the user. Returns {outcome: changed, first} (first: the account had no password) or auth.confirm_account''s refusals.';

REVOKE ALL ON FUNCTION auth.change_password(uuid,uuid,text,bytea,text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.change_password(uuid,uuid,text,bytea,text) TO auth_service;
