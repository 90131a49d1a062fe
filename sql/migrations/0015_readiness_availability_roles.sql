-- What anyone may ask before signing in, and what a signed-in user may
-- grant (SPEC §3, §4): readiness, whether a contact value is free, the roles
-- an interface lets people self-register into, and the roles a caller may
-- grant — decided here from the caller's current memberships, never from the
-- roles inside an access token (those can be minutes stale).
SET LOCAL ROLE auth_owner;

CREATE FUNCTION auth.ping()
RETURNS boolean
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT true $$;
COMMENT ON FUNCTION auth.ping() IS 'Readiness: true when the database answers the service role.';

CREATE FUNCTION auth.contact_available(p_contact_type text, p_value text)
RETURNS boolean
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT NOT EXISTS (SELECT FROM accounts.contacts
                     WHERE contact_type = p_contact_type AND value = p_value AND is_active)
$$;
COMMENT ON FUNCTION auth.contact_available(text, text) IS
  'Whether no active contact of that type holds the (normalized) value: a deactivated one is free again.';

CREATE FUNCTION auth.self_registration_roles(p_interface text)
RETURNS jsonb
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE
    WHEN NOT EXISTS (SELECT FROM accounts.interfaces WHERE name = p_interface)
      THEN jsonb_build_object('outcome', 'unknown_interface')
    ELSE jsonb_build_object('outcome', 'roles', 'roles', coalesce(
      (SELECT jsonb_agg(jsonb_build_object('name', g.name, 'description', g.description)
                        ORDER BY g.name)
       FROM accounts.interface_self_registration s
       JOIN accounts.groups g ON g.name = s.group_name
       WHERE s.interface_name = p_interface), '[]'::jsonb))
  END
$$;
COMMENT ON FUNCTION auth.self_registration_roles(text) IS
  'The roles a person may self-register into through an interface: {outcome: roles, roles: '
  '[{name, description}]} (empty for a console), or {outcome: unknown_interface}.';

CREATE FUNCTION accounts.grantable_roles(p_user_id uuid)
RETURNS text[]
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(array_agg(DISTINCT g.grantee_group ORDER BY g.grantee_group), '{}')
  FROM accounts.memberships m
  JOIN accounts.grants g ON g.grantor_group = m.group_name
  JOIN accounts.users u ON u.id = m.user_id
  WHERE m.user_id = p_user_id AND u.is_active
$$;
COMMENT ON FUNCTION accounts.grantable_roles(uuid) IS
  'The roles the user may grant, from their current memberships and accounts.grants; sorted.';

CREATE FUNCTION auth.grantable_roles(p_user_id uuid, p_session_id uuid)
RETURNS jsonb
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE
    WHEN NOT auth.session_is_active(p_user_id, p_session_id)
      THEN jsonb_build_object('outcome', 'session_inactive')
    ELSE jsonb_build_object('outcome', 'roles', 'roles', coalesce(
      (SELECT jsonb_agg(jsonb_build_object('name', g.name, 'description', g.description)
                        ORDER BY g.name)
       FROM accounts.groups g
       WHERE g.name = ANY (accounts.grantable_roles(p_user_id))), '[]'::jsonb))
  END
$$;
COMMENT ON FUNCTION auth.grantable_roles(uuid, uuid) IS
  'The roles the signed-in caller may grant now: {outcome: roles, roles: [{name, description}]}, '
  'or {outcome: session_inactive}.';

GRANT EXECUTE ON FUNCTION
  auth.ping(),
  auth.contact_available(text, text),
  auth.self_registration_roles(text),
  auth.grantable_roles(uuid, uuid)
TO auth_service;
