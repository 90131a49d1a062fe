-- Every stored function in PL/pgSQL (issue 9). PostgreSQL (up to 17) keeps
-- no plan for a LANGUAGE sql function that cannot be inlined, and ours never
-- can (each pins its search_path): its body is parsed and planned again in
-- every statement that calls it. PL/pgSQL keeps its plans for the life of
-- the connection, and Spin's pool keeps connections. Measured on one
-- connection: auth.register 1.31 -> 0.84 ms, most of it the helpers
-- (user_roles, write_user_registered, outbox_message, unpublished_events,
-- session_is_active) it calls. Same names, arguments, results, volatility
-- and settings; CREATE OR REPLACE keeps each function's comment and grants.
SET LOCAL ROLE auth_owner;

CREATE OR REPLACE FUNCTION accounts.user_roles(p_user_id uuid)
RETURNS text[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN (SELECT coalesce(array_agg(group_name ORDER BY group_name), '{}')
          FROM accounts.memberships WHERE user_id = p_user_id);
END
$$;

CREATE OR REPLACE FUNCTION accounts.grantable_roles(p_user_id uuid)
RETURNS text[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN (SELECT coalesce(array_agg(DISTINCT g.grantee_group ORDER BY g.grantee_group), '{}')
          FROM accounts.memberships m
          JOIN accounts.grants g ON g.grantor_group = m.group_name
          JOIN accounts.users u ON u.id = m.user_id
          WHERE m.user_id = p_user_id AND u.is_active);
END
$$;

CREATE OR REPLACE FUNCTION accounts.is_staff(p_user_id uuid)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN EXISTS (SELECT FROM accounts.memberships m JOIN accounts.groups g ON g.name = m.group_name
                 WHERE m.user_id = p_user_id AND g.side = 'staff');
END
$$;

CREATE OR REPLACE FUNCTION accounts.may_edit(p_caller uuid, p_target uuid)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN accounts.user_roles(p_target) <@ accounts.grantable_roles(p_caller);
END
$$;

CREATE OR REPLACE FUNCTION auth.session_is_active(p_user_id uuid, p_session_id uuid)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN EXISTS (
    SELECT FROM auth.sessions s JOIN accounts.users u ON u.id = s.user_id
    WHERE s.id = p_session_id AND s.user_id = p_user_id
      AND s.revoked_at IS NULL AND s.expires_at > now() AND u.is_active);
END
$$;

CREATE OR REPLACE FUNCTION auth.outbox_message(p_event auth.outbox)
RETURNS jsonb
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN jsonb_build_object('event_id', p_event.event_id, 'type', p_event.event_type) || p_event.payload;
END
$$;

CREATE OR REPLACE FUNCTION auth.unpublished_events(p_older_than_seconds integer, p_limit integer)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN (SELECT coalesce(jsonb_agg(auth.outbox_message(o) ORDER BY o.created_at), '[]'::jsonb)
          FROM (SELECT * FROM auth.outbox
                WHERE published_at IS NULL
                  AND created_at < now() - make_interval(secs => p_older_than_seconds)
                ORDER BY created_at
                LIMIT p_limit) o);
END
$$;

CREATE OR REPLACE FUNCTION auth.write_user_registered(p_user_id uuid, p_created_by uuid)
RETURNS auth.outbox
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
  v_event auth.outbox;
BEGIN
  INSERT INTO auth.outbox (event_type, aggregate_id, payload)
  SELECT 'user.registered', u.id, jsonb_strip_nulls(jsonb_build_object(
           'user_id', u.id,
           'second_login', (SELECT value FROM accounts.contacts
                            WHERE user_id = u.id AND contact_type = 'second_login' AND is_active),
           'roles', to_jsonb(accounts.user_roles(u.id)),
           'created_at', u.created_at,
           'created_by', p_created_by))
  FROM accounts.users u WHERE u.id = p_user_id
  RETURNING * INTO v_event;
  RETURN v_event;
END
$$;

CREATE OR REPLACE FUNCTION auth.mark_published(p_event_ids uuid[])
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_marked integer;
BEGIN
  UPDATE auth.outbox SET published_at = now()
  WHERE event_id = ANY (p_event_ids) AND published_at IS NULL;
  GET DIAGNOSTICS v_marked = ROW_COUNT;
  RETURN v_marked;
END
$$;

CREATE OR REPLACE FUNCTION auth.find_credentials(p_contact_type text, p_value text)
RETURNS jsonb
LANGUAGE plpgsql
STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_found jsonb;
BEGIN
  SELECT jsonb_build_object('user_id', u.id, 'password_hash', u.password_hash) INTO v_found
  FROM accounts.contacts c
  JOIN accounts.users u ON u.id = c.user_id
  WHERE c.contact_type = p_contact_type AND c.value = p_value AND c.is_active AND u.is_active;
  RETURN v_found;
END
$$;

CREATE OR REPLACE FUNCTION auth.contact_available(p_contact_type text, p_value text)
RETURNS boolean
LANGUAGE plpgsql
STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN NOT EXISTS (SELECT FROM accounts.contacts
                     WHERE contact_type = p_contact_type AND value = p_value AND is_active);
END
$$;

CREATE OR REPLACE FUNCTION auth.end_reused_session(p_session_id uuid, p_token_hash bytea)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  -- The replayed token is the proof: only its own session, only once it was consumed.
  UPDATE auth.sessions s SET revoked_at = now(), revoked_reason = 'reuse_detected'
  WHERE s.id = p_session_id AND s.revoked_at IS NULL
    AND EXISTS (SELECT FROM auth.refresh_tokens t
                WHERE t.token_hash = p_token_hash AND t.session_id = s.id
                  AND t.consumed_at IS NOT NULL);
  RETURN FOUND;
END
$$;

CREATE OR REPLACE FUNCTION auth.me(p_user_id uuid, p_session_id uuid)
RETURNS jsonb
LANGUAGE plpgsql
STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
  v_me jsonb;
BEGIN
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
    'created_at', u.created_at) INTO v_me
  FROM accounts.users u
  WHERE u.id = p_user_id AND auth.session_is_active(p_user_id, p_session_id);
  RETURN v_me;
END
$$;

CREATE OR REPLACE FUNCTION auth.list_sessions(p_user_id uuid, p_session_id uuid)
RETURNS jsonb
LANGUAGE plpgsql
STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
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
$$;

CREATE OR REPLACE FUNCTION auth.password_credentials(p_user_id uuid, p_session_id uuid)
RETURNS jsonb
LANGUAGE plpgsql
STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_credentials jsonb;
BEGIN
  SELECT jsonb_build_object(
    'password_hash', u.password_hash,
    'identifiers', coalesce((SELECT jsonb_agg(c.value) FROM accounts.contacts c
                             WHERE c.user_id = u.id AND c.is_active), '[]'::jsonb)) INTO v_credentials
  FROM accounts.users u
  WHERE u.id = p_user_id AND auth.session_is_active(p_user_id, p_session_id);
  RETURN v_credentials;
END
$$;

CREATE OR REPLACE FUNCTION auth.grantable_roles(p_user_id uuid, p_session_id uuid)
RETURNS jsonb
LANGUAGE plpgsql
STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  RETURN jsonb_build_object('outcome', 'roles', 'roles', coalesce(
    (SELECT jsonb_agg(jsonb_build_object('name', g.name, 'description', g.description)
                      ORDER BY g.name)
     FROM accounts.groups g
     WHERE g.name = ANY (accounts.grantable_roles(p_user_id))), '[]'::jsonb));
END
$$;

CREATE OR REPLACE FUNCTION auth.self_registration_roles(p_interface text)
RETURNS jsonb
LANGUAGE plpgsql
STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM accounts.interfaces WHERE name = p_interface) THEN
    RETURN jsonb_build_object('outcome', 'unknown_interface');
  END IF;
  RETURN jsonb_build_object('outcome', 'roles', 'roles', coalesce(
    (SELECT jsonb_agg(jsonb_build_object('name', g.name, 'description', g.description)
                      ORDER BY g.name)
     FROM accounts.interface_self_registration s
     JOIN accounts.groups g ON g.name = s.group_name
     WHERE s.interface_name = p_interface), '[]'::jsonb));
END
$$;

CREATE OR REPLACE FUNCTION auth.recently_ended_sessions(p_within_seconds integer)
RETURNS jsonb
LANGUAGE plpgsql
STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN (SELECT coalesce(jsonb_agg(id), '[]'::jsonb)
          FROM auth.sessions
          WHERE revoked_at IS NOT NULL
            AND revoked_at > now() - make_interval(secs => p_within_seconds));
END
$$;

CREATE OR REPLACE FUNCTION auth.sessions_ended_now()
RETURNS jsonb
LANGUAGE plpgsql
STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  -- Every function that ends a session sets revoked_at = now(), which is the
  -- start of the transaction: the sessions this transaction ended (and any
  -- other ended at that same instant, which is just as ended).
  RETURN (SELECT coalesce(jsonb_agg(id), '[]'::jsonb) FROM auth.sessions WHERE revoked_at = now());
END
$$;

CREATE OR REPLACE FUNCTION auth.ping()
RETURNS boolean
LANGUAGE plpgsql
STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN true;
END
$$;

-- The signatures kept for components built before 0020.
CREATE OR REPLACE FUNCTION auth.rotate_refresh_token(
  p_token_hash bytea, p_new_token_hash bytea, p_grace_seconds integer)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN auth.rotate_refresh_token(p_token_hash, p_new_token_hash, p_grace_seconds, true);
END
$$;

CREATE OR REPLACE FUNCTION auth.sign_in(
  p_user_id uuid, p_checked_password_hash text, p_refresh_token_hash bytea,
  p_ttl_seconds integer, p_max_sessions integer, p_user_agent text, p_client_ip text,
  p_retention_days integer)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN auth.sign_in(p_user_id, p_checked_password_hash, p_refresh_token_hash, p_ttl_seconds,
                      p_max_sessions, p_user_agent, p_client_ip, p_retention_days, true);
END
$$;
