CREATE OR REPLACE FUNCTION auth.logout(p_user_id uuid, p_session_id uuid, p_all boolean)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  IF NOT p_all THEN
    -- One statement: the session ends if it is the caller's and still
    -- active (the user too).
    UPDATE auth.sessions s SET revoked_at = now(), revoked_reason = 'logout'
    FROM accounts.users u
    WHERE s.id = p_session_id AND s.user_id = p_user_id AND s.revoked_at IS NULL
      AND s.expires_at > now() AND u.id = s.user_id AND u.is_active;
    RETURN FOUND;
  END IF;
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN false;
  END IF;
  UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'logout_all'
  WHERE user_id = p_user_id AND revoked_at IS NULL;
  RETURN true;
END
$function$;

COMMENT ON FUNCTION auth.logout(uuid,uuid,boolean) IS
  'Revokes the calling session, or with p_all every session of the user; false if the session was not active.';

REVOKE ALL ON FUNCTION auth.logout(uuid,uuid,boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.logout(uuid,uuid,boolean) TO auth_service;
