CREATE OR REPLACE FUNCTION auth.list_organizations(p_user_id uuid, p_session_id uuid, p_limit integer, p_after_created timestamp with time zone, p_after_id uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
  v_staff  boolean;
  v_headed uuid[];
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  v_staff := accounts.is_staff(p_user_id);
  v_headed := CASE WHEN v_staff THEN NULL ELSE accounts.headed_organizations(p_user_id) END;
  -- Staff and heads only (SPEC §4), as auth.list_users: anyone else is
  -- refused, not shown an empty list.
  IF NOT v_staff AND cardinality(v_headed) = 0 THEN
    RETURN jsonb_build_object('outcome', 'not_staff');
  END IF;
  RETURN jsonb_build_object('outcome', 'organizations', 'organizations',
    (SELECT coalesce(jsonb_agg(accounts.organization_json(o) ORDER BY o.created_at, o.id), '[]'::jsonb)
     FROM (SELECT * FROM accounts.organizations o
           WHERE (v_staff OR o.id = ANY (v_headed))
             AND (p_after_id IS NULL OR (o.created_at, o.id) > (p_after_created, p_after_id))
           ORDER BY o.created_at, o.id
           LIMIT p_limit) o));
END
$function$;

COMMENT ON FUNCTION auth.list_organizations(uuid,uuid,integer,timestamp with time zone,uuid) IS
  'One page of organizations in (created_at, id) order after the given key: staff see all, heads those they head now. Returns {outcome: organizations, organizations}, {outcome: not_staff} (neither staff nor heading any) or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.list_organizations(uuid,uuid,integer,timestamp with time zone,uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.list_organizations(uuid,uuid,integer,timestamp with time zone,uuid) TO auth_service;
