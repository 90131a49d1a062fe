CREATE OR REPLACE FUNCTION auth.end_replayed_session(p_session_id uuid, p_refresh_seed bytea)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  -- The replayed token (its MAC checked by the caller) is the proof: its
  -- seed, only its own session, only once auth.refresh_session marked it.
  UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'reuse_detected'
  WHERE id = p_session_id AND refresh_seed_digest = sha256(p_refresh_seed)
    AND revoked_at IS NULL AND reuse_detected_at IS NOT NULL;
  RETURN FOUND;
END
$function$;

COMMENT ON FUNCTION auth.end_replayed_session(uuid,bytea) IS
  'Revokes (reason reuse_detected) a session marked by a replay, given the seed the replayed token carried; true if it was still open. Called after Redis was told. Tokens of the scheme before migration 0035 use auth.end_reused_session.';

REVOKE ALL ON FUNCTION auth.end_replayed_session(uuid,bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.end_replayed_session(uuid,bytea) TO auth_service;
