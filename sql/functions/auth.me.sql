CREATE OR REPLACE FUNCTION auth.me(p_user_id uuid, p_session_id uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
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
    'organizations', coalesce((SELECT jsonb_agg(jsonb_build_object(
                    'id', o.id, 'kind', o.kind, 'name', o.name,
                    'is_head', m.head_since IS NOT NULL, 'since', m.started_at)
                    ORDER BY m.started_at, o.id)
                  FROM accounts.organization_members m
                  JOIN accounts.organizations o ON o.id = m.organization_id AND o.is_active
                  WHERE m.user_id = u.id AND m.ended_at IS NULL), '[]'::jsonb),
    'profile', u.profile,
    'created_at', u.created_at) INTO v_me
  FROM accounts.users u
  WHERE u.id = p_user_id AND auth.session_is_active(p_user_id, p_session_id);
  RETURN v_me;
END
$function$;

COMMENT ON FUNCTION auth.me(uuid,uuid) IS
  'The signed-in user: {id, second_login, contacts, roles, organizations (current memberships of active ones: id, kind, name, is_head, since), profile, created_at}; NULL if the session is not active.';

REVOKE ALL ON FUNCTION auth.me(uuid,uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.me(uuid,uuid) TO auth_service;
