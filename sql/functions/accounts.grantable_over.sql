CREATE OR REPLACE FUNCTION accounts.grantable_over(p_user_id uuid, p_target_id uuid)
 RETURNS text[]
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  IF accounts.is_staff(p_user_id) THEN
    RETURN accounts.grantable_roles(p_user_id);
  END IF;
  RETURN (SELECT coalesce(array_agg(DISTINCT r ORDER BY r), '{}')
          FROM accounts.organization_members m,
               unnest(accounts.grantable_in(p_user_id, m.organization_id)) r
          WHERE m.user_id = p_target_id AND m.ended_at IS NULL
            AND m.organization_id = ANY (accounts.headed_organizations(p_user_id)));
END
$function$;

COMMENT ON FUNCTION accounts.grantable_over(uuid,uuid) IS
  'The roles the user may grant to the target: staff their grants, anywhere; a head what it may grant in the organizations it heads that the target is a current member of. Sorted.';

REVOKE ALL ON FUNCTION accounts.grantable_over(uuid,uuid) FROM PUBLIC;
