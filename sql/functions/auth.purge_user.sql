CREATE OR REPLACE FUNCTION auth.purge_user(p_user_id uuid, p_retention_days integer, p_keep_consumed_per_session integer DEFAULT 100)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  UPDATE auth.sessions SET revoked_at = expires_at, revoked_reason = 'expired'
  WHERE user_id = p_user_id AND revoked_at IS NULL AND expires_at <= now();

  DELETE FROM auth.sessions
  WHERE user_id = p_user_id
    AND revoked_at < now() - make_interval(days => p_retention_days);

  DELETE FROM auth.refresh_tokens t
  USING (SELECT r.token_hash
         FROM auth.sessions s
         CROSS JOIN LATERAL (
           SELECT token_hash FROM auth.refresh_tokens
           WHERE session_id = s.id AND consumed_at IS NOT NULL
           ORDER BY consumed_at DESC
           OFFSET p_keep_consumed_per_session) r
         WHERE s.user_id = p_user_id AND s.revoked_at IS NULL) doomed
  WHERE t.token_hash = doomed.token_hash;
END
$function$;

COMMENT ON FUNCTION auth.purge_user(uuid,integer,integer) IS
  'Retention for one user, cheap enough to run at each sign-in: marks expired sessions ended (reason expired), deletes sessions ended more than p_retention_days ago, and keeps at most p_keep_consumed_per_session consumed refresh tokens per open session (the newest).';

REVOKE ALL ON FUNCTION auth.purge_user(uuid,integer,integer) FROM PUBLIC;
