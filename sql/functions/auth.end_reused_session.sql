CREATE OR REPLACE FUNCTION auth.end_reused_session(p_session_id uuid, p_token_hash bytea)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  -- The replayed token is the proof: only its own session, only once a
  -- replay was detected in it (auth.rotate_refresh_token marked it).
  UPDATE auth.sessions s SET revoked_at = now(), revoked_reason = 'reuse_detected'
  WHERE s.id = p_session_id AND s.revoked_at IS NULL AND s.reuse_detected_at IS NOT NULL
    AND EXISTS (SELECT FROM auth.refresh_tokens t
                WHERE t.token_hash = p_token_hash AND t.session_id = s.id);
  RETURN FOUND;
END
$function$;

COMMENT ON FUNCTION auth.end_reused_session(uuid,bytea) IS
  'Revokes (reason reuse_detected) the session a replayed refresh token belongs to, given the SHA-256 of the token presented when it was detected; true if it was still open. Called after Redis was told.';

REVOKE ALL ON FUNCTION auth.end_reused_session(uuid,bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.end_reused_session(uuid,bytea) TO auth_service;
