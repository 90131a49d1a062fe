CREATE OR REPLACE FUNCTION auth.list_users(p_user_id uuid, p_session_id uuid, p_limit integer, p_after_created timestamp with time zone, p_after_id uuid, p_role text, p_contact_type text, p_contact_value text, p_organization_id uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
  v_page   jsonb;
  v_headed uuid[];
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  IF NOT accounts.is_staff(p_user_id) THEN
    -- A head lists the current members of the organizations it heads.
    v_headed := accounts.headed_organizations(p_user_id);
    IF cardinality(v_headed) = 0 THEN
      RETURN jsonb_build_object('outcome', 'not_staff');
    END IF;
  END IF;
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'id', u.id,
           'second_login', (SELECT value FROM accounts.contacts
                            WHERE user_id = u.id AND contact_type = 'second_login' AND is_active),
           -- An unverified phone receives no codes (SPEC §2): staff see which.
           -- Heads see no phones (their members' contacts are not theirs).
           'phone', CASE WHEN v_headed IS NULL THEN
                      (SELECT jsonb_build_object('value', value, 'verified', verified_at IS NOT NULL)
                       FROM accounts.contacts
                       WHERE user_id = u.id AND contact_type = 'phone' AND is_active) END,
           'roles', to_jsonb(accounts.user_roles(u.id)),
           'is_active', u.is_active,
           'created_at', u.created_at) ORDER BY u.created_at, u.id), '[]'::jsonb)
  INTO v_page
  FROM (SELECT * FROM accounts.users u
        WHERE (p_after_id IS NULL OR (u.created_at, u.id) > (p_after_created, p_after_id))
          AND (p_role IS NULL OR EXISTS (SELECT FROM accounts.memberships m
                                         WHERE m.user_id = u.id AND m.group_name = p_role))
          AND (p_contact_type IS NULL OR EXISTS (
                 SELECT FROM accounts.contacts c
                 WHERE c.user_id = u.id AND c.contact_type = p_contact_type
                   AND c.value = p_contact_value AND c.is_active))
          AND (v_headed IS NULL OR EXISTS (
                 SELECT FROM accounts.organization_members om
                 WHERE om.user_id = u.id AND om.ended_at IS NULL
                   AND om.organization_id = ANY (v_headed)))
          AND (p_organization_id IS NULL OR EXISTS (
                 SELECT FROM accounts.organization_members om
                 WHERE om.user_id = u.id AND om.ended_at IS NULL
                   AND om.organization_id = p_organization_id))
        ORDER BY u.created_at, u.id
        LIMIT p_limit) u;
  RETURN jsonb_build_object('outcome', 'users', 'users', v_page);
END
$function$;

COMMENT ON FUNCTION auth.list_users(uuid,uuid,integer,timestamp with time zone,uuid,text,text,text,uuid) IS
  'Staff (everyone) or heads (the current members of the organizations they head): one page of users in (created_at, id) order after the given key (keyset pagination), optionally only those with a role, an active contact (normalized value) or a current membership of an organization. Returns {outcome: users, users: [{id, second_login, phone: {value, verified} (staff only; else null), roles, is_active, created_at}]}, {outcome: not_staff} or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.list_users(uuid,uuid,integer,timestamp with time zone,uuid,text,text,text,uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.list_users(uuid,uuid,integer,timestamp with time zone,uuid,text,text,text,uuid) TO auth_service;
