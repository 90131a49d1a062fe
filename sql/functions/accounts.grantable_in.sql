CREATE OR REPLACE FUNCTION accounts.grantable_in(p_user_id uuid, p_organization_id uuid)
 RETURNS text[]
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  CASE accounts.organization_standing(p_user_id, p_organization_id)
    WHEN 'administers', 'reads' THEN
      RETURN accounts.grantable_roles(p_user_id);
    WHEN 'heads' THEN
      -- A head grants what the role heading this kind grants, nothing more:
      -- an executor_head who also heads a firm grants drivers only in fleets.
      RETURN (SELECT coalesce(array_agg(g.grantee_group ORDER BY g.grantee_group), '{}')
              FROM accounts.organizations o
              JOIN accounts.organization_kinds k ON k.name = o.kind
              JOIN accounts.grants g ON g.grantor_group = k.head_group
              WHERE o.id = p_organization_id);
    ELSE
      RETURN '{}';
  END CASE;
END
$function$;

COMMENT ON FUNCTION accounts.grantable_in(uuid,uuid) IS
  'The roles the user may grant to members of an organization: staff their grants; its head the grants of the role heading its kind; anyone else none. Sorted.';

REVOKE ALL ON FUNCTION accounts.grantable_in(uuid,uuid) FROM PUBLIC;
