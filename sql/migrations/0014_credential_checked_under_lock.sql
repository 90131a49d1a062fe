-- A password is checked (bcrypt, in the component) between two calls, so the
-- second call must make sure the hash it checked is still the user's, under
-- the user's row lock: otherwise a login that verified the old password could
-- open a session after a password change committed ("other sessions
-- revoked"), and of two racing password changes both could win.
SET LOCAL ROLE auth_owner;

CREATE FUNCTION auth.sign_in(
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
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_current text;
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
  -- Sign-in is bcrypt-bound: the user's retention costs nothing noticeable here.
  PERFORM auth.purge_user(p_user_id, p_retention_days);
  RETURN auth.open_session(p_user_id, p_refresh_token_hash, p_ttl_seconds, p_max_sessions,
                           p_user_agent, p_client_ip);
END
$$;
COMMENT ON FUNCTION auth.sign_in(uuid, text, bytea, integer, integer, text, text, integer) IS
  'Opens a session after a password check, if the hash checked (p_checked_password_hash, as '
  'find_credentials gave it) is still the user''s under the row lock, after the user''s retention '
  '(auth.purge_user). Returns open_session''s outcome (opened | user_inactive) or '
  '{outcome: credentials_changed}.';

-- The opening of every write that follows a password check: take the user's
-- row lock, then make sure the session is still active and the hash that was
-- verified is still the user's. NULL to go on, else the outcome to answer.
CREATE FUNCTION auth.recheck_credentials(
  p_user_id               uuid,
  p_session_id            uuid,
  p_checked_password_hash text
)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_current text;
BEGIN
  SELECT password_hash INTO v_current FROM accounts.users WHERE id = p_user_id FOR UPDATE;
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  IF v_current IS DISTINCT FROM p_checked_password_hash THEN
    -- Another change committed since the password was verified.
    RETURN jsonb_build_object('outcome', 'credentials_changed');
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION auth.recheck_credentials(uuid, uuid, text) IS
  'Under the user''s row lock: NULL when the session is active and p_checked_password_hash is still '
  'the user''s, else {outcome: session_inactive} or {outcome: credentials_changed}.';

DROP FUNCTION auth.change_password(uuid, uuid, text);
CREATE FUNCTION auth.change_password(
  p_user_id               uuid,
  p_session_id            uuid,
  p_checked_password_hash text,
  p_new_password_hash     text
)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_refused jsonb;
BEGIN
  v_refused := auth.recheck_credentials(p_user_id, p_session_id, p_checked_password_hash);
  IF v_refused IS NOT NULL THEN
    RETURN v_refused;
  END IF;
  UPDATE accounts.users SET password_hash = p_new_password_hash, updated_at = now()
  WHERE id = p_user_id;
  UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'password_changed'
  WHERE user_id = p_user_id AND id <> p_session_id AND revoked_at IS NULL;
  RETURN jsonb_build_object('outcome', 'changed');
END
$$;
COMMENT ON FUNCTION auth.change_password(uuid, uuid, text, text) IS
  'Sets a new password hash if the hash verified (p_checked_password_hash) is still current under '
  'the row lock, and revokes every other session of the user. Returns {outcome: changed | '
  'session_inactive | credentials_changed}.';

-- The component opens sessions only through sign_in (and register) now.
REVOKE EXECUTE ON FUNCTION auth.open_session(uuid, bytea, integer, integer, text, text) FROM auth_service;
GRANT EXECUTE ON FUNCTION
  auth.sign_in(uuid, text, bytea, integer, integer, text, text, integer),
  auth.change_password(uuid, uuid, text, text)
TO auth_service;
