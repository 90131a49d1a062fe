CREATE OR REPLACE FUNCTION auth.revoke_session(p_user_id uuid, p_session_id uuid, p_target_session_id uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'revoked_by_user'
  WHERE id = p_target_session_id AND user_id = p_user_id AND revoked_at IS NULL;
  -- Someone else's session is as absent as one that never existed.
  RETURN jsonb_build_object('outcome', CASE WHEN FOUND THEN 'revoked' ELSE 'not_found' END);
END
$function$;

COMMENT ON FUNCTION auth.revoke_session(uuid,uuid,uuid) IS
  'Revokes one of the user''s own sessions. Returns {outcome: revoked | not_found | session_inactive} (session_inactive: the caller''s own session has ended).';

REVOKE ALL ON FUNCTION auth.revoke_session(uuid,uuid,uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.revoke_session(uuid,uuid,uuid) TO auth_service;
