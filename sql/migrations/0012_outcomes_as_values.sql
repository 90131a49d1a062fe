-- Expected outcomes are values, not exceptions (issue "Correct on real Spin").
-- Spin's PostgreSQL host flattens any error raised while the result rows are
-- read into `query-error::text`, so a SQLSTATE raised by a function never
-- reaches the component. Every outcome a client can cause therefore comes back
-- as a jsonb object whose `outcome` member names it; the component reads it
-- into a Rust enum. Exceptions remain for the truly unexpected (→ 500).
SET LOCAL ROLE auth_owner;

CREATE OR REPLACE FUNCTION auth.open_session(
  p_user_id            uuid,
  p_refresh_token_hash bytea,
  p_ttl_seconds        integer,
  p_max_sessions       integer,
  p_user_agent         text,
  p_client_ip          text
)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
  v_session auth.sessions;
BEGIN
  IF p_ttl_seconds <= 0 OR p_max_sessions <= 0 THEN
    -- A configuration bug, not something a client can cause.
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = 'session lifetime and session limit must be positive';
  END IF;

  -- One sign-in at a time per user, so the session limit holds under concurrency.
  PERFORM 1 FROM accounts.users WHERE id = p_user_id AND is_active FOR UPDATE;
  IF NOT FOUND THEN
    -- Deactivated (or deleted) between the password check and now.
    RETURN jsonb_build_object('outcome', 'user_inactive');
  END IF;

  -- Keep room for the new session: evict the oldest beyond the limit.
  UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'evicted'
  WHERE id IN (
    SELECT id FROM auth.sessions
    WHERE user_id = p_user_id AND revoked_at IS NULL AND expires_at > now()
    ORDER BY created_at DESC, id DESC
    OFFSET p_max_sessions - 1
  );

  INSERT INTO auth.sessions (user_id, expires_at, user_agent, client_ip)
  VALUES (p_user_id, now() + make_interval(secs => p_ttl_seconds),
          left(p_user_agent, 512), nullif(p_client_ip, '')::inet)
  RETURNING * INTO v_session;

  INSERT INTO auth.refresh_tokens (token_hash, session_id)
  VALUES (p_refresh_token_hash, v_session.id);

  RETURN jsonb_build_object(
    'outcome', 'opened',
    'session_id', v_session.id,
    'expires_at', v_session.expires_at,
    'roles', to_jsonb(accounts.user_roles(p_user_id))
  );
END
$$;
COMMENT ON FUNCTION auth.open_session(uuid, bytea, integer, integer, text, text) IS
  'Opens a session with its first refresh token (SHA-256 given), evicting the oldest sessions beyond '
  'p_max_sessions. Returns {outcome: opened, session_id, expires_at, roles} or {outcome: user_inactive}.';

-- Creating a user with a taken value answered as an outcome: the unique
-- index decides a race, and the loser gets {outcome: taken, field}.
CREATE FUNCTION accounts.try_create_user(
  p_second_login  text,
  p_phone         text,
  p_email         text,
  p_password_hash text,
  p_profile       jsonb,
  p_group_names   text[],
  p_granted_by    uuid
)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_field      text;
  v_constraint text;
BEGIN
  RETURN jsonb_build_object('outcome', 'created', 'user_id',
    accounts.create_user(p_second_login, p_phone, p_email, p_password_hash, p_profile,
                         p_group_names, p_granted_by));
EXCEPTION WHEN unique_violation THEN
  -- Taken before we came, or by a concurrent transaction that committed
  -- first: the same answer either way. add_contact names the contact type.
  GET STACKED DIAGNOSTICS v_field = COLUMN_NAME, v_constraint = CONSTRAINT_NAME;
  IF v_constraint IS DISTINCT FROM 'contacts_active_value_key' THEN
    RAISE;
  END IF;
  RETURN jsonb_build_object('outcome', 'taken', 'field', v_field);
END
$$;
COMMENT ON FUNCTION accounts.try_create_user(text, text, text, text, jsonb, text[], uuid) IS
  'accounts.create_user, answering {outcome: created, user_id} or {outcome: taken, field} (a contact '
  'value active for someone else); nothing of a taken attempt remains.';

-- The user.registered event of a user just created, in the same transaction.
CREATE FUNCTION auth.write_user_registered(p_user_id uuid, p_created_by uuid)
RETURNS auth.outbox
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
  INSERT INTO auth.outbox (event_type, aggregate_id, payload)
  SELECT 'user.registered', u.id, jsonb_strip_nulls(jsonb_build_object(
           'user_id', u.id,
           'second_login', (SELECT value FROM accounts.contacts
                            WHERE user_id = u.id AND contact_type = 'second_login' AND is_active),
           'roles', to_jsonb(accounts.user_roles(u.id)),
           'created_at', u.created_at,
           'created_by', p_created_by))
  FROM accounts.users u WHERE u.id = p_user_id
  RETURNING *
$$;
COMMENT ON FUNCTION auth.write_user_registered(uuid, uuid) IS
  'Writes the user.registered outbox row of a new user {user_id, second_login, roles, created_at, '
  'created_by (when a grantor made it)} and returns it.';

CREATE FUNCTION auth.register(
  p_second_login       text,
  p_phone              text,
  p_email              text,
  p_password_hash      text,
  p_profile            jsonb,
  p_group_names        text[],
  p_interface          text,
  p_refresh_token_hash bytea,
  p_session_ttl_seconds integer,
  p_max_sessions       integer,
  p_user_agent         text,
  p_client_ip          text,
  p_outbox_retry_seconds integer
)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
  v_event   auth.outbox;
  v_allowed text[];
  v_refused text[];
  v_made    jsonb;
  v_user_id uuid;
  v_created timestamptz;
  v_roles   text[];
  v_session jsonb;
BEGIN
  IF NOT EXISTS (SELECT FROM accounts.interfaces WHERE name = p_interface) THEN
    RETURN jsonb_build_object('outcome', 'unknown_interface');
  END IF;

  SELECT coalesce(array_agg(group_name), '{}') INTO v_allowed
  FROM accounts.interface_self_registration WHERE interface_name = p_interface;
  v_refused := ARRAY(SELECT unnest(p_group_names) EXCEPT SELECT unnest(v_allowed) ORDER BY 1);
  IF cardinality(p_group_names) = 0 OR cardinality(v_refused) > 0 THEN
    RETURN jsonb_build_object('outcome', 'roles_not_allowed', 'roles', to_jsonb(v_refused));
  END IF;

  v_made := accounts.try_create_user(p_second_login, p_phone, p_email, p_password_hash,
                                     p_profile, p_group_names, NULL);
  IF v_made ->> 'outcome' = 'taken' THEN
    RETURN v_made;
  END IF;
  v_user_id := (v_made ->> 'user_id')::uuid;
  SELECT created_at INTO v_created FROM accounts.users WHERE id = v_user_id;
  v_roles := accounts.user_roles(v_user_id);
  v_session := auth.open_session(v_user_id, p_refresh_token_hash, p_session_ttl_seconds,
                                 p_max_sessions, p_user_agent, p_client_ip);
  IF v_session ->> 'outcome' IS DISTINCT FROM 'opened' THEN
    RAISE EXCEPTION 'a user created in this transaction could not open a session: %', v_session;
  END IF;

  v_event := auth.write_user_registered(v_user_id, NULL);

  RETURN jsonb_build_object(
    'outcome', 'registered',
    'user_id', v_user_id,
    'created_at', v_created,
    'roles', to_jsonb(v_roles),
    'session_id', v_session -> 'session_id',
    'session_expires_at', v_session -> 'expires_at',
    -- This event to announce, and any an earlier request could not.
    'events', jsonb_build_array(auth.outbox_message(v_event))
              || auth.unpublished_events(p_outbox_retry_seconds, 10));
END
$$;
COMMENT ON FUNCTION auth.register(text, text, text, text, jsonb, text[], text, bytea, integer, integer, text, text, integer) IS
  'Self-registration through an interface: creates the user, contacts, memberships, a session with its '
  'refresh token and the user.registered outbox event in one transaction. Returns one of '
  '{outcome: registered, user_id, created_at, roles, session_id, session_expires_at, events} '
  '(events: the messages to announce on Redis: this registration''s user.registered, then up to 10 '
  'older ones unpublished for p_outbox_retry_seconds), '
  '{outcome: taken, field} (field = the contact type already active for someone, also when a '
  'concurrent registration won the race), {outcome: unknown_interface}, '
  '{outcome: roles_not_allowed, roles} (the refused roles; empty when none were asked for).';

-- The signature grew (p_outbox_retry_seconds): the old one goes.
DROP FUNCTION auth.register(text, text, text, text, jsonb, text[], text, bytea, integer, integer, text, text);
GRANT EXECUTE ON FUNCTION
  auth.register(text, text, text, text, jsonb, text[], text, bytea, integer, integer, text, text, integer)
TO auth_service;

-- From a text result to an outcome object, like every other function.
DROP FUNCTION auth.revoke_session(uuid, uuid, uuid);
CREATE FUNCTION auth.revoke_session(p_user_id uuid, p_session_id uuid, p_target_session_id uuid)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'revoked_by_user'
  WHERE id = p_target_session_id AND user_id = p_user_id AND revoked_at IS NULL;
  -- Someone else's session is as absent as one that never existed.
  RETURN jsonb_build_object('outcome', CASE WHEN FOUND THEN 'revoked' ELSE 'not_found' END);
END
$$;
COMMENT ON FUNCTION auth.revoke_session(uuid, uuid, uuid) IS
  'Revokes one of the user''s own sessions. Returns {outcome: revoked | not_found | session_inactive} '
  '(session_inactive: the caller''s own session has ended).';
GRANT EXECUTE ON FUNCTION auth.revoke_session(uuid, uuid, uuid) TO auth_service;
