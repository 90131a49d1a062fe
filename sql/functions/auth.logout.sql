CREATE OR REPLACE FUNCTION auth.logout(p_user_id uuid, p_session_id uuid, p_all boolean)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN false;
  END IF;
  UPDATE auth.sessions
  SET revoked_at = now(), revoked_reason = CASE WHEN p_all THEN 'logout_all' ELSE 'logout' END
  WHERE user_id = p_user_id AND revoked_at IS NULL AND (p_all OR id = p_session_id);
  RETURN true;
END
$function$;

COMMENT ON FUNCTION auth.logout(uuid,uuid,boolean) IS
  'Revokes the calling session, or with p_all every session of the user; false if the session was not active.';

REVOKE ALL ON FUNCTION auth.logout(uuid,uuid,boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.logout(uuid,uuid,boolean) TO auth_service;
