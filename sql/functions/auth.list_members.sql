CREATE OR REPLACE FUNCTION auth.list_members(p_user_id uuid, p_session_id uuid, p_organization_id uuid, p_limit integer, p_after_since timestamp with time zone, p_after_user uuid)
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
  IF accounts.organization_standing(p_user_id, p_organization_id) = 'none' THEN
    RETURN jsonb_build_object('outcome', 'not_found');
  END IF;
  RETURN jsonb_build_object('outcome', 'members', 'members',
    (SELECT coalesce(jsonb_agg(accounts.membership_json(m) ORDER BY m.started_at, m.user_id), '[]'::jsonb)
     FROM (SELECT * FROM accounts.organization_members m
           WHERE m.organization_id = p_organization_id AND m.ended_at IS NULL
             AND (p_after_user IS NULL OR (m.started_at, m.user_id) > (p_after_since, p_after_user))
           ORDER BY m.started_at, m.user_id
           LIMIT p_limit) m));
END
$function$;

COMMENT ON FUNCTION auth.list_members(uuid,uuid,uuid,integer,timestamp with time zone,uuid) IS
  'One page of an organization''s current members in (since, user_id) order after the given key, for staff and its heads. Returns {outcome: members, members}, {outcome: not_found} (also when the caller may not see it) or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.list_members(uuid,uuid,uuid,integer,timestamp with time zone,uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.list_members(uuid,uuid,uuid,integer,timestamp with time zone,uuid) TO auth_service;
