CREATE OR REPLACE FUNCTION accounts.organization_json(p_organization accounts.organizations)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
BEGIN
  RETURN jsonb_build_object(
    'id', p_organization.id,
    'kind', p_organization.kind,
    'service_type', p_organization.service_type,
    'name', p_organization.name,
    'is_active', p_organization.is_active,
    'created_at', p_organization.created_at,
    'heads', (SELECT coalesce(jsonb_agg(m.user_id ORDER BY m.head_since, m.user_id), '[]'::jsonb)
              FROM accounts.organization_members m
              WHERE m.organization_id = p_organization.id AND m.ended_at IS NULL
                AND m.head_since IS NOT NULL));
END
$function$;

COMMENT ON FUNCTION accounts.organization_json(accounts.organizations) IS
  'An organization as the API shows it: {id, kind, service_type, name, is_active, created_at, heads (user ids)}.';

REVOKE ALL ON FUNCTION accounts.organization_json(accounts.organizations) FROM PUBLIC;
