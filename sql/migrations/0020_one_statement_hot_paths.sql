-- The hot paths in one statement each (issue 9). Spin prepares every
-- statement afresh, so a BEGIN … COMMIT around a call costs two more round
-- trips each way. Until now refresh and sign-in ran in a transaction only so
-- that the rare session they end (a replay; an eviction) reaches Redis before
-- it commits. Now the common case commits on its own and the rare one is
-- reported instead of done: the component tells Redis first, then ends it.
-- The three-argument rotate and eight-argument sign_in stay, for components
-- built before this migration, and do what they always did.
SET LOCAL ROLE auth_owner;

CREATE FUNCTION auth.rotate_refresh_token(
  p_token_hash            bytea,
  p_new_token_hash        bytea,
  p_grace_seconds         integer,
  p_end_session_on_reuse  boolean
)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_token   auth.refresh_tokens;
  v_session auth.sessions;
  v_outcome text;
BEGIN
  -- The row lock makes concurrent refreshes of one token take turns: the
  -- first rotates it, the others then see it consumed (no check-then-update race).
  SELECT * INTO v_token FROM auth.refresh_tokens WHERE token_hash = p_token_hash FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  SELECT * INTO v_session FROM auth.sessions WHERE id = v_token.session_id FOR UPDATE;
  IF v_session.revoked_at IS NOT NULL OR v_session.expires_at <= now()
     OR NOT auth.session_is_active(v_session.user_id, v_session.id) THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;

  IF v_token.consumed_at IS NULL THEN
    UPDATE auth.refresh_tokens SET consumed_at = now(), replaced_by = p_new_token_hash
    WHERE token_hash = p_token_hash;
    v_outcome := 'rotated';
  ELSIF v_token.consumed_at > now() - make_interval(secs => p_grace_seconds) THEN
    -- Another tab refreshed with the same token a moment ago: a fresh pair
    -- for the same session, not an attack.
    v_outcome := 'concurrent';
  ELSE
    -- A consumed token presented after the grace: stolen and replayed, or
    -- the thief already used it. Either way the session is compromised.
    IF p_end_session_on_reuse THEN
      UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'reuse_detected'
      WHERE id = v_session.id;
    END IF;
    RETURN jsonb_build_object('outcome', 'reuse_detected', 'session_id', v_session.id);
  END IF;

  INSERT INTO auth.refresh_tokens (token_hash, session_id) VALUES (p_new_token_hash, v_session.id);
  UPDATE auth.sessions SET last_used_at = now() WHERE id = v_session.id;
  RETURN jsonb_build_object(
    'outcome', v_outcome,
    'session_id', v_session.id,
    'user_id', v_session.user_id,
    'roles', to_jsonb(accounts.user_roles(v_session.user_id)),
    'seconds_left', floor(extract(epoch FROM v_session.expires_at - now()))::bigint);
END
$$;
COMMENT ON FUNCTION auth.rotate_refresh_token(bytea, bytea, integer, boolean) IS
  'Consumes a refresh token (SHA-256 given) and stores its successor in the same session, atomically. '
  'Returns {outcome: rotated | concurrent | reuse_detected | invalid, session_id, user_id, roles, '
  'seconds_left (until the session''s absolute expiry: no access token may outlive it)}. '
  'A consumed token within p_grace_seconds is a concurrent refresh (successor issued); after it, a '
  'replay: the session is revoked if p_end_session_on_reuse, else only reported (the caller ends it '
  'with auth.end_reused_session once Redis knows). The session''s absolute expiry never moves.';

CREATE OR REPLACE FUNCTION auth.rotate_refresh_token(
  p_token_hash     bytea,
  p_new_token_hash bytea,
  p_grace_seconds  integer
)
RETURNS jsonb
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT auth.rotate_refresh_token(p_token_hash, p_new_token_hash, p_grace_seconds, true)
$$;
COMMENT ON FUNCTION auth.rotate_refresh_token(bytea, bytea, integer) IS
  'auth.rotate_refresh_token(..., p_end_session_on_reuse => true): a replay revokes the session '
  'at once (for components built before migration 0020).';

CREATE FUNCTION auth.end_reused_session(p_session_id uuid, p_token_hash bytea)
RETURNS boolean
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  -- The replayed token is the proof: only its own session, only once it was consumed.
  WITH ended AS (
    UPDATE auth.sessions s SET revoked_at = now(), revoked_reason = 'reuse_detected'
    WHERE s.id = p_session_id AND s.revoked_at IS NULL
      AND EXISTS (SELECT FROM auth.refresh_tokens t
                  WHERE t.token_hash = p_token_hash AND t.session_id = s.id
                    AND t.consumed_at IS NOT NULL)
    RETURNING 1)
  SELECT EXISTS (SELECT FROM ended)
$$;
COMMENT ON FUNCTION auth.end_reused_session(uuid, bytea) IS
  'Revokes (reason reuse_detected) the session a replayed refresh token belongs to, given that '
  'consumed token''s SHA-256; true if it was still open. Called after Redis was told.';

CREATE FUNCTION auth.sign_in(
  p_user_id               uuid,
  p_checked_password_hash text,
  p_refresh_token_hash    bytea,
  p_ttl_seconds           integer,
  p_max_sessions          integer,
  p_user_agent            text,
  p_client_ip             text,
  p_retention_days        integer,
  p_may_evict             boolean
)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_current text;
  v_opened  jsonb;
BEGIN
  -- The same lock a password change takes: one or the other goes first.
  SELECT password_hash INTO v_current FROM accounts.users
  WHERE id = p_user_id AND is_active FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'user_inactive');
  END IF;
  IF v_current IS DISTINCT FROM p_checked_password_hash THEN
    RETURN jsonb_build_object('outcome', 'credentials_changed');
  END IF;
  PERFORM auth.purge_user(p_user_id, p_retention_days);
  IF NOT p_may_evict AND (SELECT count(*) FROM auth.sessions
                          WHERE user_id = p_user_id AND revoked_at IS NULL
                            AND expires_at > now()) >= p_max_sessions THEN
    RETURN jsonb_build_object('outcome', 'at_session_limit');
  END IF;
  v_opened := auth.open_session(p_user_id, p_refresh_token_hash, p_ttl_seconds, p_max_sessions,
                                p_user_agent, p_client_ip);
  IF v_opened->>'outcome' = 'opened' THEN
    v_opened := v_opened || jsonb_build_object('seconds_left',
      floor(extract(epoch FROM (v_opened->>'expires_at')::timestamptz - now()))::bigint);
  END IF;
  RETURN v_opened;
END
$$;
COMMENT ON FUNCTION auth.sign_in(uuid, text, bytea, integer, integer, text, text, integer, boolean) IS
  'Opens a session after a password check, if the hash checked (p_checked_password_hash, as '
  'find_credentials gave it) is still the user''s under the row lock, after the user''s retention '
  '(auth.purge_user). Returns open_session''s outcome (opened, with seconds_left until the '
  'session''s absolute expiry | user_inactive), '
  '{outcome: credentials_changed}, or, when the user already has p_max_sessions active sessions and '
  'not p_may_evict, {outcome: at_session_limit} having opened nothing (the caller signs in again, '
  'allowing the eviction, in a transaction that tells Redis before it commits).';

CREATE OR REPLACE FUNCTION auth.sign_in(
  p_user_id               uuid,
  p_checked_password_hash text,
  p_refresh_token_hash    bytea,
  p_ttl_seconds           integer,
  p_max_sessions          integer,
  p_user_agent            text,
  p_client_ip             text,
  p_retention_days        integer
)
RETURNS jsonb
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT auth.sign_in(p_user_id, p_checked_password_hash, p_refresh_token_hash, p_ttl_seconds,
                      p_max_sessions, p_user_agent, p_client_ip, p_retention_days, true)
$$;
COMMENT ON FUNCTION auth.sign_in(uuid, text, bytea, integer, integer, text, text, integer) IS
  'auth.sign_in(..., p_may_evict => true) (for components built before migration 0020).';

-- A user's retention touched every session they ever had, ended ones
-- included, to trim consumed refresh tokens: a user who signs in often (an
-- integration, a shared device) made each sign-in slower (measured: sign-ins of
-- one user at c16 fell from 256/s to 121/s within half a minute). Only open
-- sessions still gain tokens; an ended one keeps what it had until the
-- retention deletes it whole.
CREATE OR REPLACE FUNCTION auth.purge_user(
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
         WHERE s.user_id = p_user_id AND s.revoked_at IS NULL) doomed
  WHERE t.token_hash = doomed.token_hash;
END
$$;
COMMENT ON FUNCTION auth.purge_user(uuid, integer, integer) IS
  'Retention for one user, cheap enough to run at each sign-in: marks expired sessions ended '
  '(reason expired), deletes sessions ended more than p_retention_days ago, and keeps at most '
  'p_keep_consumed_per_session consumed refresh tokens per open session (the newest).';

GRANT EXECUTE ON FUNCTION
  auth.rotate_refresh_token(bytea, bytea, integer, boolean),
  auth.end_reused_session(uuid, bytea),
  auth.sign_in(uuid, text, bytea, integer, integer, text, text, integer, boolean)
TO auth_service;
