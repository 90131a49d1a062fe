CREATE OR REPLACE FUNCTION auth.organization(p_user_id uuid, p_session_id uuid, p_organization_id uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  IF accounts.organization_standing(p_user_id, p_organization_id) = 'none' THEN
    RETURN jsonb_build_object('outcome', 'not_found');
  END IF;
  RETURN (SELECT jsonb_build_object('outcome', 'found', 'organization', accounts.organization_json(o))
          FROM accounts.organizations o WHERE o.id = p_organization_id);
END
$function$;

COMMENT ON FUNCTION auth.organization(uuid,uuid,uuid) IS
  'One organization, for staff or its heads. Returns {outcome: found, organization}, {outcome: not_found} (also when the caller may not see it) or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.organization(uuid,uuid,uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.organization(uuid,uuid,uuid) TO auth_service;
