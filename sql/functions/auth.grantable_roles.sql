CREATE OR REPLACE FUNCTION auth.grantable_roles(p_user_id uuid, p_session_id uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
$function$;

COMMENT ON FUNCTION auth.grantable_roles(uuid,uuid) IS
  'The roles the signed-in caller may grant now: {outcome: roles, roles: [{name, description}]}, or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.grantable_roles(uuid,uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.grantable_roles(uuid,uuid) TO auth_service;
