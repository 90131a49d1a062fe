CREATE OR REPLACE FUNCTION auth.list_sessions(p_user_id uuid, p_session_id uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
BEGIN
  -- NULL when the calling session is not active.
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN NULL;
  END IF;
  RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
              'id', s.id, 'created_at', s.created_at, 'last_used_at', s.last_used_at,
              'expires_at', s.expires_at, 'user_agent', s.user_agent, 'ip', host(s.client_ip),
              'current', s.id = p_session_id) ORDER BY s.created_at DESC), '[]'::jsonb)
          FROM auth.sessions s
          WHERE s.user_id = p_user_id AND s.revoked_at IS NULL AND s.expires_at > now());
END
$function$;

COMMENT ON FUNCTION auth.list_sessions(uuid,uuid) IS
  'The user''s active sessions, newest first, the calling one marked current; NULL if the calling session is not active.';

REVOKE ALL ON FUNCTION auth.list_sessions(uuid,uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.list_sessions(uuid,uuid) TO auth_service;
