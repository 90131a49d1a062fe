-- Retention: nothing grows without bound. Ended sessions (revoked, or past
-- their absolute expiry) and their refresh tokens are deleted once older than
-- the retention; consumed refresh tokens are kept for reuse detection, but at
-- most the newest few per session. Per-user queries touch live rows only:
-- sessions that merely expired are marked so at the user's next sign-in and
-- leave the partial index of active sessions.
SET LOCAL ROLE auth_owner;

ALTER TABLE auth.sessions DROP CONSTRAINT sessions_revoked_reason_check;
ALTER TABLE auth.sessions ADD CONSTRAINT sessions_revoked_reason_check
  CHECK (revoked_reason IN ('logout', 'logout_all', 'evicted', 'reuse_detected',
                            'password_changed', 'revoked_by_user', 'expired',
                            'user_deactivated'));

-- When a session ended: revoked, or else expired.
CREATE INDEX sessions_ended_at_idx ON auth.sessions ((coalesce(revoked_at, expires_at)));
CREATE INDEX refresh_tokens_consumed_idx ON auth.refresh_tokens (session_id, consumed_at DESC)
  WHERE consumed_at IS NOT NULL;

CREATE FUNCTION auth.purge_user(
  p_user_id                   uuid,
  p_retention_days            integer,
  p_keep_consumed_per_session integer DEFAULT 100
)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
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
         WHERE s.user_id = p_user_id) doomed
  WHERE t.token_hash = doomed.token_hash;
END
$$;
COMMENT ON FUNCTION auth.purge_user(uuid, integer, integer) IS
  'Retention for one user, cheap enough to run at each sign-in: marks expired sessions ended '
  '(reason expired), deletes sessions ended more than p_retention_days ago, and keeps at most '
  'p_keep_consumed_per_session consumed refresh tokens per session (the newest).';

CREATE FUNCTION auth.purge(
  p_retention_days            integer DEFAULT 30,
  p_batch                     integer DEFAULT 10000,
  p_keep_consumed_per_session integer DEFAULT 100
)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_sessions integer;
  v_tokens   integer;
BEGIN
  IF p_retention_days < 1 OR p_batch < 1 OR p_keep_consumed_per_session < 1 THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = 'retention, batch and kept tokens must be positive';
  END IF;

  DELETE FROM auth.sessions
  WHERE id IN (SELECT id FROM auth.sessions
               WHERE coalesce(revoked_at, expires_at) < now() - make_interval(days => p_retention_days)
               LIMIT p_batch
               FOR UPDATE SKIP LOCKED);
  GET DIAGNOSTICS v_sessions = ROW_COUNT;

  DELETE FROM auth.refresh_tokens
  WHERE token_hash IN (
    SELECT token_hash FROM (
      SELECT token_hash, consumed_at,
             row_number() OVER (PARTITION BY session_id ORDER BY consumed_at DESC) AS newer
      FROM auth.refresh_tokens WHERE consumed_at IS NOT NULL) ranked
    WHERE newer > p_keep_consumed_per_session
       OR consumed_at < now() - make_interval(days => p_retention_days)
    LIMIT p_batch);
  GET DIAGNOSTICS v_tokens = ROW_COUNT;

  RETURN jsonb_build_object('sessions_deleted', v_sessions, 'refresh_tokens_deleted', v_tokens);
END
$$;
COMMENT ON FUNCTION auth.purge(integer, integer, integer) IS
  'Operator retention job (README, "Retention"): deletes at most p_batch sessions ended more than '
  'p_retention_days ago (their tokens go with them) and at most p_batch consumed refresh tokens that '
  'are older than that or beyond the newest p_keep_consumed_per_session of their session. Returns '
  '{sessions_deleted, refresh_tokens_deleted}; call it until both are 0.';
