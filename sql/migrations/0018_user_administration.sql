-- User administration (SPEC §3, §4): staff list users; grantors create users
-- and change roles within their grants; a user can be deactivated, which ends
-- all their sessions at once. Every decision is made here from the caller's
-- current memberships (accounts.grantable_roles), never from token claims.
-- Nobody edits a user holding a role they could not grant, and nobody removes
-- their own last staff role.
SET LOCAL ROLE auth_owner;

CREATE INDEX users_created_idx ON accounts.users (created_at, id);

CREATE FUNCTION accounts.is_staff(p_user_id uuid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT EXISTS (SELECT FROM accounts.memberships m JOIN accounts.groups g ON g.name = m.group_name
                 WHERE m.user_id = p_user_id AND g.side = 'staff')
$$;
COMMENT ON FUNCTION accounts.is_staff(uuid) IS 'Whether the user holds a staff role (superadmin, support, manager).';

-- The caller may act on the target: every role the target holds is one the
-- caller may grant.
CREATE FUNCTION accounts.may_edit(p_caller uuid, p_target uuid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT accounts.user_roles(p_target) <@ accounts.grantable_roles(p_caller)
$$;
COMMENT ON FUNCTION accounts.may_edit(uuid, uuid) IS
  'Whether every role of the target is one the caller may grant (nobody edits a user above them).';

CREATE FUNCTION auth.list_users(
  p_user_id       uuid,
  p_session_id    uuid,
  p_limit         integer,
  p_after_created timestamptz,
  p_after_id      uuid,
  p_role          text,
  p_contact_type  text,
  p_contact_value text
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
  v_page jsonb;
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  IF NOT accounts.is_staff(p_user_id) THEN
    RETURN jsonb_build_object('outcome', 'not_staff');
  END IF;
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'id', u.id,
           'second_login', (SELECT value FROM accounts.contacts
                            WHERE user_id = u.id AND contact_type = 'second_login' AND is_active),
           'roles', to_jsonb(accounts.user_roles(u.id)),
           'is_active', u.is_active,
           'created_at', u.created_at) ORDER BY u.created_at, u.id), '[]'::jsonb)
  INTO v_page
  FROM (SELECT * FROM accounts.users u
        WHERE (p_after_id IS NULL OR (u.created_at, u.id) > (p_after_created, p_after_id))
          AND (p_role IS NULL OR EXISTS (SELECT FROM accounts.memberships m
                                         WHERE m.user_id = u.id AND m.group_name = p_role))
          AND (p_contact_type IS NULL OR EXISTS (
                 SELECT FROM accounts.contacts c
                 WHERE c.user_id = u.id AND c.contact_type = p_contact_type
                   AND c.value = p_contact_value AND c.is_active))
        ORDER BY u.created_at, u.id
        LIMIT p_limit) u;
  RETURN jsonb_build_object('outcome', 'users', 'users', v_page);
END
$$;
COMMENT ON FUNCTION auth.list_users(uuid, uuid, integer, timestamptz, uuid, text, text, text) IS
  'Staff only: one page of users in (created_at, id) order after the given key (keyset pagination), '
  'optionally only those with a role or an active contact (normalized value). Returns {outcome: users, '
  'users: [{id, second_login, roles, is_active, created_at}]}, {outcome: not_staff} or '
  '{outcome: session_inactive}.';

CREATE FUNCTION auth.create_user(
  p_user_id              uuid,
  p_session_id           uuid,
  p_second_login         text,
  p_phone                text,
  p_email                text,
  p_password_hash        text,
  p_profile              jsonb,
  p_group_names          text[],
  p_outbox_retry_seconds integer
)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
  v_refused text[];
  v_made    jsonb;
  v_event   auth.outbox;
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  v_refused := ARRAY(SELECT unnest(p_group_names)
                     EXCEPT SELECT unnest(accounts.grantable_roles(p_user_id)) ORDER BY 1);
  IF cardinality(p_group_names) = 0 OR cardinality(v_refused) > 0 THEN
    RETURN jsonb_build_object('outcome', 'roles_not_allowed', 'roles', to_jsonb(v_refused));
  END IF;

  v_made := accounts.try_create_user(p_second_login, p_phone, p_email, p_password_hash,
                                     p_profile, p_group_names, p_user_id);
  IF v_made ->> 'outcome' = 'taken' THEN
    RETURN v_made;
  END IF;
  v_event := auth.write_user_registered((v_made ->> 'user_id')::uuid, p_user_id);

  RETURN jsonb_build_object(
    'outcome', 'created',
    'user', jsonb_build_object('id', v_event.aggregate_id,
                               'second_login', v_event.payload -> 'second_login',
                               'roles', v_event.payload -> 'roles', 'is_active', true,
                               'created_at', v_event.payload -> 'created_at'),
    'events', jsonb_build_array(auth.outbox_message(v_event))
              || auth.unpublished_events(p_outbox_retry_seconds, 10));
END
$$;
COMMENT ON FUNCTION auth.create_user(uuid, uuid, text, text, text, text, jsonb, text[], integer) IS
  'A signed-in grantor creates a user (normalized values, bcrypt hash) with roles they may grant now, '
  'and its user.registered event, in one transaction. Returns {outcome: created, user, events}, '
  '{outcome: roles_not_allowed, roles}, {outcome: taken, field} or {outcome: session_inactive}.';

CREATE FUNCTION auth.change_user_roles(
  p_user_id    uuid,
  p_session_id uuid,
  p_target_id  uuid,
  p_add        text[],
  p_remove     text[]
)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_refused text[];
  v_after   text[];
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  -- Role changes of one user take turns.
  PERFORM 1 FROM accounts.users WHERE id = p_target_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'not_found');
  END IF;
  v_refused := ARRAY(SELECT unnest(p_add || p_remove)
                     EXCEPT SELECT unnest(accounts.grantable_roles(p_user_id)) ORDER BY 1);
  IF cardinality(v_refused) > 0 THEN
    RETURN jsonb_build_object('outcome', 'roles_not_allowed', 'roles', to_jsonb(v_refused));
  END IF;
  IF p_target_id <> p_user_id AND NOT accounts.may_edit(p_user_id, p_target_id) THEN
    RETURN jsonb_build_object('outcome', 'target_out_of_reach');
  END IF;
  v_after := ARRAY(SELECT unnest(accounts.user_roles(p_target_id)) UNION SELECT unnest(p_add)
                   EXCEPT SELECT unnest(p_remove) ORDER BY 1);
  IF cardinality(v_after) = 0 THEN
    RETURN jsonb_build_object('outcome', 'no_role_left');
  END IF;
  IF p_target_id = p_user_id AND accounts.is_staff(p_user_id) AND NOT EXISTS (
       SELECT FROM accounts.groups WHERE name = ANY (v_after) AND side = 'staff') THEN
    RETURN jsonb_build_object('outcome', 'own_last_staff_role');
  END IF;

  DELETE FROM accounts.memberships WHERE user_id = p_target_id AND group_name = ANY (p_remove);
  INSERT INTO accounts.memberships (user_id, group_name, granted_by)
  SELECT p_target_id, g, p_user_id FROM unnest(p_add) g
  ON CONFLICT (user_id, group_name) DO NOTHING;
  UPDATE accounts.users SET updated_at = now() WHERE id = p_target_id;
  RETURN jsonb_build_object('outcome', 'changed', 'roles', to_jsonb(accounts.user_roles(p_target_id)));
END
$$;
COMMENT ON FUNCTION auth.change_user_roles(uuid, uuid, uuid, text[], text[]) IS
  'Adds and removes roles of a user, each one the caller may grant now, on a user holding only roles '
  'the caller may grant. Returns {outcome: changed, roles}, {outcome: roles_not_allowed, roles}, '
  '{outcome: target_out_of_reach}, {outcome: no_role_left}, {outcome: own_last_staff_role}, '
  '{outcome: not_found} or {outcome: session_inactive}.';

CREATE FUNCTION auth.set_user_active(
  p_user_id    uuid,
  p_session_id uuid,
  p_target_id  uuid,
  p_active     boolean
)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  PERFORM 1 FROM accounts.users WHERE id = p_target_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'not_found');
  END IF;
  IF p_target_id = p_user_id THEN
    RETURN jsonb_build_object('outcome', 'target_out_of_reach');
  END IF;
  IF NOT accounts.may_edit(p_user_id, p_target_id) OR cardinality(accounts.grantable_roles(p_user_id)) = 0 THEN
    RETURN jsonb_build_object('outcome', 'target_out_of_reach');
  END IF;
  UPDATE accounts.users SET is_active = p_active, updated_at = now() WHERE id = p_target_id;
  IF NOT p_active THEN
    UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'user_deactivated'
    WHERE user_id = p_target_id AND revoked_at IS NULL;
  END IF;
  RETURN jsonb_build_object('outcome', 'changed', 'is_active', p_active);
END
$$;
COMMENT ON FUNCTION auth.set_user_active(uuid, uuid, uuid, boolean) IS
  'Activates or deactivates another user holding only roles the caller may grant; deactivation ends '
  'all their sessions at once. Returns {outcome: changed, is_active}, {outcome: target_out_of_reach}, '
  '{outcome: not_found} or {outcome: session_inactive}.';

GRANT EXECUTE ON FUNCTION
  auth.list_users(uuid, uuid, integer, timestamptz, uuid, text, text, text),
  auth.create_user(uuid, uuid, text, text, text, text, jsonb, text[], integer),
  auth.change_user_roles(uuid, uuid, uuid, text[], text[]),
  auth.set_user_active(uuid, uuid, uuid, boolean)
TO auth_service;
