CREATE OR REPLACE FUNCTION auth.change_password(p_user_id uuid, p_session_id uuid, p_checked_password_hash text, p_new_password_hash text)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_refused jsonb;
BEGIN
  v_refused := auth.recheck_credentials(p_user_id, p_session_id, p_checked_password_hash);
  IF v_refused IS NOT NULL THEN
    RETURN v_refused;
  END IF;
  UPDATE accounts.users SET password_hash = p_new_password_hash, updated_at = now()
  WHERE id = p_user_id;
  UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'password_changed'
  WHERE user_id = p_user_id AND id <> p_session_id AND revoked_at IS NULL;
  RETURN jsonb_build_object('outcome', 'changed');
END
$function$;

COMMENT ON FUNCTION auth.change_password(uuid,uuid,text,text) IS
  'Sets a new password hash if the hash verified (p_checked_password_hash) is still current under the row lock, and revokes every other session of the user. Returns {outcome: changed | session_inactive | credentials_changed}.';

REVOKE ALL ON FUNCTION auth.change_password(uuid,uuid,text,text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.change_password(uuid,uuid,text,text) TO auth_service;
