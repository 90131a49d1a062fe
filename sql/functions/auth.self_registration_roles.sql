CREATE OR REPLACE FUNCTION auth.self_registration_roles(p_interface text)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
$function$;

COMMENT ON FUNCTION auth.self_registration_roles(text) IS
  'The roles a person may self-register into through an interface: {outcome: roles, roles: [{name, description}]} (empty for a console), or {outcome: unknown_interface}.';

REVOKE ALL ON FUNCTION auth.self_registration_roles(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.self_registration_roles(text) TO auth_service;
