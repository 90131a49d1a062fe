CREATE OR REPLACE FUNCTION auth.list_invitations(p_user_id uuid, p_session_id uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  RETURN jsonb_build_object('outcome', 'invitations', 'invitations',
    (SELECT coalesce(jsonb_agg(jsonb_build_object(
              'id', i.id,
              'organization', jsonb_build_object('id', o.id, 'name', o.name, 'kind', o.kind),
              'created_at', i.created_at,
              'expires_at', i.expires_at) ORDER BY i.created_at DESC, i.id), '[]'::jsonb)
     FROM accounts.organization_invitations i
     JOIN accounts.organizations o ON o.id = i.organization_id AND o.is_active
     WHERE i.user_id = p_user_id AND i.status = 'pending' AND i.expires_at > now()
       -- Only while its head still heads the organization.
       AND accounts.organization_standing(i.invited_by, i.organization_id) = 'heads'));
END
$function$;

COMMENT ON FUNCTION auth.list_invitations(uuid,uuid) IS
  'The signed-in user''s pending, unexpired invitations into active organizations, newest first. Returns {outcome: invitations, invitations: [{id, organization: {id, name, kind}, created_at, expires_at}]} or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.list_invitations(uuid,uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.list_invitations(uuid,uuid) TO auth_service;
