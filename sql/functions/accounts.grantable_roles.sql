CREATE OR REPLACE FUNCTION accounts.grantable_roles(p_user_id uuid)
 RETURNS text[]
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  RETURN (SELECT coalesce(array_agg(DISTINCT g.grantee_group ORDER BY g.grantee_group), '{}')
          FROM accounts.memberships m
          JOIN accounts.grants g ON g.grantor_group = m.group_name
          JOIN accounts.users u ON u.id = m.user_id
          WHERE m.user_id = p_user_id AND u.is_active);
END
$function$;

COMMENT ON FUNCTION accounts.grantable_roles(uuid) IS
  'The roles the user may grant, from their current memberships and accounts.grants; sorted.';

REVOKE ALL ON FUNCTION accounts.grantable_roles(uuid) FROM PUBLIC;
