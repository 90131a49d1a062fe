CREATE OR REPLACE FUNCTION auth.update_organization(p_user_id uuid, p_session_id uuid, p_organization_id uuid, p_name text, p_active boolean)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_org accounts.organizations;
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  CASE accounts.organization_standing(p_user_id, p_organization_id)
    WHEN 'none' THEN RETURN jsonb_build_object('outcome', 'not_found');
    WHEN 'administers' THEN NULL;
    ELSE RETURN jsonb_build_object('outcome', 'not_allowed');
  END CASE;
  SELECT * INTO v_org FROM accounts.organizations WHERE id = p_organization_id FOR UPDATE;
  IF v_org.is_active AND p_active IS FALSE THEN
    -- Every session whose tokens name the organization ends with it. The
    -- members' sessions are locked first, so that a refresh running now
    -- either finishes before (and its session is found below) or starts
    -- after (and names the organization no more).
    PERFORM 1 FROM auth.sessions s
    WHERE s.revoked_at IS NULL
      AND s.user_id IN (SELECT m.user_id FROM accounts.organization_members m
                        WHERE m.organization_id = p_organization_id AND m.ended_at IS NULL)
    ORDER BY s.id FOR UPDATE;
    -- Found through the members (sessions_user_idx): a session names the
    -- organization only while its user is a current member (ending a
    -- membership ends the sessions naming it).
    UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'organization_deactivated'
    WHERE revoked_at IS NULL AND p_organization_id = ANY (organization_ids)
      AND user_id IN (SELECT m.user_id FROM accounts.organization_members m
                      WHERE m.organization_id = p_organization_id AND m.ended_at IS NULL);
  END IF;
  UPDATE accounts.organizations
  SET name = coalesce(p_name, name), is_active = coalesce(p_active, is_active), updated_at = now()
  WHERE id = p_organization_id
  RETURNING * INTO v_org;
  RETURN jsonb_build_object('outcome', 'changed', 'organization', accounts.organization_json(v_org),
    'members', (SELECT coalesce(jsonb_agg(m.user_id), '[]'::jsonb)
                FROM accounts.organization_members m
                WHERE m.organization_id = p_organization_id AND m.ended_at IS NULL));
END
$function$;

COMMENT ON FUNCTION auth.update_organization(uuid,uuid,uuid,text,boolean) IS
  'Staff who administer an organization rename it (p_name, trimmed) and/or (de)activate it (p_active); NULL keeps a value. Deactivating ends every session whose access tokens name it (reason organization_deactivated); its heads lose their powers while it is inactive; memberships stay. Returns {outcome: changed, organization, members (user ids, whose /me changed)}, {outcome: not_allowed} (a head or other staff), {outcome: not_found} or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.update_organization(uuid,uuid,uuid,text,boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.update_organization(uuid,uuid,uuid,text,boolean) TO auth_service;
