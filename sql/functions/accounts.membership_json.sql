CREATE OR REPLACE FUNCTION accounts.membership_json(p_membership accounts.organization_members)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
BEGIN
  RETURN jsonb_build_object(
    'organization_id', p_membership.organization_id,
    'user_id', p_membership.user_id,
    'second_login', (SELECT value FROM accounts.contacts
                     WHERE user_id = p_membership.user_id AND contact_type = 'second_login'
                       AND is_active),
    'roles', to_jsonb(accounts.user_roles(p_membership.user_id)),
    'is_head', p_membership.head_since IS NOT NULL AND p_membership.ended_at IS NULL,
    'since', p_membership.started_at,
    'until', p_membership.ended_at);
END
$function$;

COMMENT ON FUNCTION accounts.membership_json(accounts.organization_members) IS
  'A membership as the API shows it: {organization_id, user_id, second_login, roles, is_head, since, until}.';

REVOKE ALL ON FUNCTION accounts.membership_json(accounts.organization_members) FROM PUBLIC;
