-- Refresh-token rotation, and what a signed-in user may do with their own
-- sessions (SPEC §5). Every function taking (p_user_id, p_session_id) first
-- checks that this session is still active and belongs to that user, so a
-- valid JWT of a revoked session gets nothing: it is the session half of the
-- access-token guard, done in the same call as the work.
SET LOCAL ROLE auth_owner;

CREATE FUNCTION auth.session_is_active(p_user_id uuid, p_session_id uuid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT EXISTS (
    SELECT FROM auth.sessions s JOIN accounts.users u ON u.id = s.user_id
    WHERE s.id = p_session_id AND s.user_id = p_user_id
      AND s.revoked_at IS NULL AND s.expires_at > now() AND u.is_active)
$$;
COMMENT ON FUNCTION auth.session_is_active(uuid, uuid) IS
  'Whether the session exists, belongs to the user, is neither revoked nor expired, and the user is active.';

CREATE FUNCTION auth.rotate_refresh_token(
  p_token_hash     bytea,
  p_new_token_hash bytea,
  p_grace_seconds  integer
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
    UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'reuse_detected'
    WHERE id = v_session.id;
    RETURN jsonb_build_object('outcome', 'reuse_detected', 'session_id', v_session.id);
  END IF;

  INSERT INTO auth.refresh_tokens (token_hash, session_id) VALUES (p_new_token_hash, v_session.id);
  UPDATE auth.sessions SET last_used_at = now() WHERE id = v_session.id;
  RETURN jsonb_build_object(
    'outcome', v_outcome,
    'session_id', v_session.id,
    'user_id', v_session.user_id,
    'roles', to_jsonb(accounts.user_roles(v_session.user_id)));
END
$$;
COMMENT ON FUNCTION auth.rotate_refresh_token(bytea, bytea, integer) IS
  'Consumes a refresh token (SHA-256 given) and stores its successor in the same session, atomically. '
  'Returns {outcome: rotated | concurrent | reuse_detected | invalid, session_id, user_id, roles}. '
  'A consumed token within p_grace_seconds is a concurrent refresh (successor issued); after it, the '
  'session is revoked. The session''s absolute expiry never moves.';

CREATE FUNCTION auth.me(p_user_id uuid, p_session_id uuid)
RETURNS jsonb
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
  SELECT jsonb_build_object(
    'id', u.id,
    'second_login', (SELECT value FROM accounts.contacts
                     WHERE user_id = u.id AND contact_type = 'second_login' AND is_active),
    'contacts', coalesce((SELECT jsonb_agg(jsonb_build_object(
                    'id', c.id, 'type', c.contact_type, 'value', c.value,
                    'verified', c.verified_at IS NOT NULL) ORDER BY c.contact_type, c.created_at)
                  FROM accounts.contacts c WHERE c.user_id = u.id AND c.is_active), '[]'::jsonb),
    'roles', to_jsonb(accounts.user_roles(u.id)),
    'profile', u.profile,
    'created_at', u.created_at)
  FROM accounts.users u
  WHERE u.id = p_user_id AND auth.session_is_active(p_user_id, p_session_id)
$$;
COMMENT ON FUNCTION auth.me(uuid, uuid) IS
  'The signed-in user: {id, second_login, contacts, roles, profile, created_at}; NULL if the session is not active.';

CREATE FUNCTION auth.list_sessions(p_user_id uuid, p_session_id uuid)
RETURNS jsonb
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
  SELECT coalesce(jsonb_agg(jsonb_build_object(
      'id', s.id, 'created_at', s.created_at, 'last_used_at', s.last_used_at,
      'expires_at', s.expires_at, 'user_agent', s.user_agent, 'ip', host(s.client_ip),
      'current', s.id = p_session_id) ORDER BY s.created_at DESC), '[]'::jsonb)
  FROM auth.sessions s
  WHERE s.user_id = p_user_id AND s.revoked_at IS NULL AND s.expires_at > now()
  -- No row at all (NULL) when the calling session is not active.
  HAVING auth.session_is_active(p_user_id, p_session_id)
$$;
COMMENT ON FUNCTION auth.list_sessions(uuid, uuid) IS
  'The user''s active sessions, newest first, the calling one marked current; NULL if the calling session is not active.';

CREATE FUNCTION auth.revoke_session(p_user_id uuid, p_session_id uuid, p_target_session_id uuid)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN 'session_inactive';
  END IF;
  UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'revoked_by_user'
  WHERE id = p_target_session_id AND user_id = p_user_id AND revoked_at IS NULL;
  -- Someone else's session is as absent as one that never existed.
  RETURN CASE WHEN FOUND THEN 'revoked' ELSE 'not_found' END;
END
$$;
COMMENT ON FUNCTION auth.revoke_session(uuid, uuid, uuid) IS
  'Revokes one of the user''s own sessions: revoked | not_found | session_inactive (the caller''s session).';

CREATE FUNCTION auth.logout(p_user_id uuid, p_session_id uuid, p_all boolean)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN false;
  END IF;
  UPDATE auth.sessions
  SET revoked_at = now(), revoked_reason = CASE WHEN p_all THEN 'logout_all' ELSE 'logout' END
  WHERE user_id = p_user_id AND revoked_at IS NULL AND (p_all OR id = p_session_id);
  RETURN true;
END
$$;
COMMENT ON FUNCTION auth.logout(uuid, uuid, boolean) IS
  'Revokes the calling session, or with p_all every session of the user; false if the session was not active.';

CREATE FUNCTION auth.password_credentials(p_user_id uuid, p_session_id uuid)
RETURNS jsonb
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT jsonb_build_object(
    'password_hash', u.password_hash,
    'identifiers', coalesce((SELECT jsonb_agg(c.value) FROM accounts.contacts c
                             WHERE c.user_id = u.id AND c.is_active), '[]'::jsonb))
  FROM accounts.users u
  WHERE u.id = p_user_id AND auth.session_is_active(p_user_id, p_session_id)
$$;
COMMENT ON FUNCTION auth.password_credentials(uuid, uuid) IS
  'For a password change: {password_hash, identifiers (active contact values)}; NULL if the session is not active.';

CREATE FUNCTION auth.change_password(p_user_id uuid, p_session_id uuid, p_password_hash text)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN false;
  END IF;
  UPDATE accounts.users SET password_hash = p_password_hash, updated_at = now() WHERE id = p_user_id;
  UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'password_changed'
  WHERE user_id = p_user_id AND id <> p_session_id AND revoked_at IS NULL;
  RETURN true;
END
$$;
COMMENT ON FUNCTION auth.change_password(uuid, uuid, text) IS
  'Sets a new password hash and revokes every other session of the user; false if the session was not active.';

GRANT EXECUTE ON FUNCTION
  auth.rotate_refresh_token(bytea, bytea, integer),
  auth.me(uuid, uuid),
  auth.list_sessions(uuid, uuid),
  auth.revoke_session(uuid, uuid, uuid),
  auth.logout(uuid, uuid, boolean),
  auth.password_credentials(uuid, uuid),
  auth.change_password(uuid, uuid, text)
TO auth_service;
