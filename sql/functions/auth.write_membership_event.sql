CREATE OR REPLACE FUNCTION auth.write_membership_event(p_event_type text, p_membership accounts.organization_members, p_by uuid)
 RETURNS auth.outbox
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
BEGIN
  RETURN auth.write_event(p_event_type, p_membership.organization_id, jsonb_build_object(
    'organization_id', p_membership.organization_id,
    'user_id', p_membership.user_id,
    'membership_id', p_membership.id,
    'at', coalesce(p_membership.ended_at, p_membership.started_at),
    'by', p_by));
END
$function$;

COMMENT ON FUNCTION auth.write_membership_event(text,accounts.organization_members,uuid) IS
  'Writes membership.started or membership.ended: {organization_id, user_id, membership_id, at, by}.';

REVOKE ALL ON FUNCTION auth.write_membership_event(text,accounts.organization_members,uuid) FROM PUBLIC;
