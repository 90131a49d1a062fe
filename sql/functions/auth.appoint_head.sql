CREATE OR REPLACE FUNCTION auth.appoint_head(p_user_id uuid, p_session_id uuid, p_organization_id uuid, p_target_id uuid, p_outbox_retry_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
  v_standing   text;
  v_head_group text;
  v_membership accounts.organization_members;
  v_events     jsonb := '[]'::jsonb;
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
  SELECT k.head_group INTO v_head_group
  FROM accounts.organizations o JOIN accounts.organization_kinds k ON k.name = o.kind
  WHERE o.id = p_organization_id;
  PERFORM 1 FROM accounts.users WHERE id = p_target_id AND is_active FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'user_not_found');
  END IF;

  INSERT INTO accounts.organization_members (organization_id, user_id, started_by, head_since)
  VALUES (p_organization_id, p_target_id, p_user_id, now())
  ON CONFLICT (organization_id, user_id) WHERE ended_at IS NULL DO NOTHING
  RETURNING * INTO v_membership;
  IF FOUND THEN
    v_events := jsonb_build_array(auth.outbox_message(
      auth.write_membership_event('membership.started', v_membership, p_user_id)));
  ELSE
    UPDATE accounts.organization_members SET head_since = coalesce(head_since, now())
    WHERE organization_id = p_organization_id AND user_id = p_target_id AND ended_at IS NULL
    RETURNING * INTO v_membership;
  END IF;
  -- A head holds the role that heads the kind (the caller may grant it:
  -- that is what administering the organization means), by appointment
  -- unless already granted outright (then a dismissal leaves it).
  INSERT INTO accounts.memberships (user_id, group_name, granted_by, by_appointment)
  VALUES (p_target_id, v_head_group, p_user_id, true)
  ON CONFLICT (user_id, group_name) DO NOTHING;
  UPDATE accounts.users SET updated_at = now() WHERE id = p_target_id;
  RETURN jsonb_build_object(
    'outcome', 'appointed',
    'membership', accounts.membership_json(v_membership),
    'events', v_events || auth.unpublished_events(p_outbox_retry_seconds, 10));
END
$function$;

COMMENT ON FUNCTION auth.appoint_head(uuid,uuid,uuid,uuid,integer) IS
  'Staff who administer an organization make an active user its head: a member (joining now if not yet, with membership.started) marked head, holding the role that heads its kind. Returns {outcome: appointed, membership, events}, {outcome: user_not_found}, {outcome: not_allowed} (heads, other staff), {outcome: not_found} or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.appoint_head(uuid,uuid,uuid,uuid,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.appoint_head(uuid,uuid,uuid,uuid,integer) TO auth_service;
