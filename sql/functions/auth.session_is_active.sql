CREATE OR REPLACE FUNCTION auth.session_is_active(p_user_id uuid, p_session_id uuid)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  RETURN EXISTS (
    SELECT FROM auth.sessions s JOIN accounts.users u ON u.id = s.user_id
    WHERE s.id = p_session_id AND s.user_id = p_user_id
      AND s.revoked_at IS NULL AND s.expires_at > now() AND u.is_active);
END
$function$;

COMMENT ON FUNCTION auth.session_is_active(uuid,uuid) IS
  'Whether the session exists, belongs to the user, is neither revoked nor expired, and the user is active.';

REVOKE ALL ON FUNCTION auth.session_is_active(uuid,uuid) FROM PUBLIC;
