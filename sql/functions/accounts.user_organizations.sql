CREATE OR REPLACE FUNCTION accounts.user_organizations(p_user_id uuid)
 RETURNS uuid[]
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  RETURN (SELECT coalesce(array_agg(m.organization_id ORDER BY m.organization_id), '{}')
          FROM accounts.organization_members m
          JOIN accounts.organizations o ON o.id = m.organization_id
          WHERE m.user_id = p_user_id AND m.ended_at IS NULL AND o.is_active);
END
$function$;

COMMENT ON FUNCTION accounts.user_organizations(uuid) IS
  'Ids of the active organizations the user is a current member of, sorted: what access tokens name (claim orgs).';

REVOKE ALL ON FUNCTION accounts.user_organizations(uuid) FROM PUBLIC;
