-- Self-registration: one call, one transaction (SPEC §4). The user, the
-- contacts, the memberships, the session, its refresh token and the
-- user.registered event commit together or not at all.
SET LOCAL ROLE auth_owner;

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
  p_client_ip          text
)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
  v_allowed   text[];
  v_refused   text[];
  v_user_id   uuid;
  v_created   timestamptz;
  v_roles     text[];
  v_session   jsonb;
BEGIN
  IF NOT EXISTS (SELECT FROM accounts.interfaces WHERE name = p_interface) THEN
    RAISE EXCEPTION USING ERRCODE = 'AU001', MESSAGE = 'unknown interface', COLUMN = 'interface';
  END IF;

  SELECT coalesce(array_agg(group_name), '{}') INTO v_allowed
  FROM accounts.interface_self_registration WHERE interface_name = p_interface;
  v_refused := ARRAY(SELECT unnest(p_group_names) EXCEPT SELECT unnest(v_allowed) ORDER BY 1);
  IF cardinality(p_group_names) = 0 OR cardinality(v_refused) > 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'AU002',
      MESSAGE = 'these roles cannot be self-registered through this interface',
      DETAIL = array_to_string(v_refused, ',');
  END IF;

  v_user_id := accounts.create_user(p_second_login, p_phone, p_email, p_password_hash,
                                    p_profile, p_group_names, NULL);
  SELECT created_at INTO v_created FROM accounts.users WHERE id = v_user_id;
  v_roles := accounts.user_roles(v_user_id);
  v_session := auth.open_session(v_user_id, p_refresh_token_hash, p_session_ttl_seconds,
                                 p_max_sessions, p_user_agent, p_client_ip);

  INSERT INTO auth.outbox (event_type, aggregate_id, payload)
  VALUES ('user.registered', v_user_id, jsonb_build_object(
    'user_id', v_user_id,
    'second_login', p_second_login,
    'roles', to_jsonb(v_roles),
    'created_at', v_created));

  RETURN jsonb_build_object(
    'user_id', v_user_id,
    'created_at', v_created,
    'roles', to_jsonb(v_roles),
    'session_id', v_session -> 'session_id',
    'session_expires_at', v_session -> 'expires_at');
END
$$;
COMMENT ON FUNCTION auth.register(text, text, text, text, jsonb, text[], text, bytea, integer, integer, text, text) IS
  'Self-registration through an interface: creates the user, contacts, memberships, a session with its '
  'refresh token and the user.registered outbox event in one transaction. Raises AU001 (unknown '
  'interface), AU002 (roles not self-registrable there; DETAIL lists them), 23505 with COLUMN = the '
  'taken contact type. Returns {user_id, created_at, roles, session_id, session_expires_at}.';
