CREATE OR REPLACE FUNCTION auth.dismiss_head(p_user_id uuid, p_session_id uuid, p_organization_id uuid, p_target_id uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_standing   text;
  v_membership accounts.organization_members;
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  v_standing := accounts.organization_standing(p_user_id, p_organization_id);
  IF v_standing = 'none' THEN
    RETURN jsonb_build_object('outcome', 'not_found');
  ELSIF v_standing <> 'administers' THEN
    RETURN jsonb_build_object('outcome', 'not_allowed');
  END IF;
  PERFORM 1 FROM accounts.users WHERE id = p_target_id FOR UPDATE;
  UPDATE accounts.organization_members SET head_since = NULL
  WHERE organization_id = p_organization_id AND user_id = p_target_id AND ended_at IS NULL
    AND head_since IS NOT NULL
  RETURNING * INTO v_membership;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'not_found');
  END IF;
  PERFORM accounts.headship_ended(p_target_id, p_organization_id);
  RETURN jsonb_build_object('outcome', 'dismissed', 'membership', accounts.membership_json(v_membership));
END
$function$;

COMMENT ON FUNCTION auth.dismiss_head(uuid,uuid,uuid,uuid) IS
  'Staff who administer an organization dismiss one of its heads: the membership stays, its head mark goes, and with it every power over the organization; the role that heads its kind goes too, if appointing gave it (not if staff granted it outright), unless they still head another organization of a kind it heads (marked head there, active or not); the invitations they made into it that are still pending are withdrawn. Returns {outcome: dismissed, membership}, {outcome: not_allowed}, {outcome: not_found} (not a current head, or the caller may not see the organization) or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.dismiss_head(uuid,uuid,uuid,uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.dismiss_head(uuid,uuid,uuid,uuid) TO auth_service;
