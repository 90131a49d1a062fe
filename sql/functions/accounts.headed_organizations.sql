CREATE OR REPLACE FUNCTION accounts.headed_organizations(p_user_id uuid)
 RETURNS uuid[]
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  -- A head acts for an organization while it is active, they head it, and
  -- they hold (as an active user) the role its kind is headed by.
  RETURN (SELECT coalesce(array_agg(o.id ORDER BY o.id), '{}')
          FROM accounts.organization_members m
          JOIN accounts.organizations o ON o.id = m.organization_id AND o.is_active
          JOIN accounts.organization_kinds k ON k.name = o.kind
          JOIN accounts.users u ON u.id = m.user_id AND u.is_active
          JOIN accounts.memberships r ON r.user_id = m.user_id AND r.group_name = k.head_group
          WHERE m.user_id = p_user_id AND m.ended_at IS NULL AND m.head_since IS NOT NULL);
END
$function$;

COMMENT ON FUNCTION accounts.headed_organizations(uuid) IS
  'Ids of the active organizations the user heads now (a current membership marked head, and the role the organization''s kind is headed by), sorted.';

REVOKE ALL ON FUNCTION accounts.headed_organizations(uuid) FROM PUBLIC;
