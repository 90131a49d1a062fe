CREATE OR REPLACE FUNCTION auth.end_membership(p_user_id uuid, p_session_id uuid, p_organization_id uuid, p_target_id uuid, p_outbox_retry_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
  v_standing   text;
  v_membership accounts.organization_members;
  v_event      auth.outbox;
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  v_standing := accounts.organization_standing(p_user_id, p_organization_id);
  IF v_standing = 'none' THEN
    RETURN jsonb_build_object('outcome', 'not_found');
  ELSIF v_standing = 'reads' THEN
    RETURN jsonb_build_object('outcome', 'not_allowed');
  END IF;
  -- Membership changes of one user take turns; their sessions are locked
  -- before the membership ends, so that a refresh running now either
  -- finishes first (its session is found below) or names the organization
  -- no more.
  PERFORM 1 FROM accounts.users WHERE id = p_target_id FOR UPDATE;
  PERFORM 1 FROM auth.sessions WHERE user_id = p_target_id AND revoked_at IS NULL
  ORDER BY id FOR UPDATE;
  SELECT * INTO v_membership FROM accounts.organization_members
  WHERE organization_id = p_organization_id AND user_id = p_target_id AND ended_at IS NULL;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'not_found');
  END IF;
  -- Heads are dismissed by staff, not removed by a fellow head.
  IF v_standing = 'heads' AND v_membership.head_since IS NOT NULL THEN
    RETURN jsonb_build_object('outcome', 'target_out_of_reach');
  END IF;

  UPDATE accounts.organization_members SET ended_at = clock_timestamp(), ended_by = p_user_id
  WHERE id = v_membership.id
  RETURNING * INTO v_membership;
  UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'membership_ended'
  WHERE user_id = p_target_id AND revoked_at IS NULL AND p_organization_id = ANY (organization_ids);
  -- A head removed by staff stops heading it as a dismissal would.
  IF v_membership.head_since IS NOT NULL THEN
    PERFORM accounts.headship_ended(p_target_id, p_organization_id);
  END IF;
  v_event := auth.write_membership_event('membership.ended', v_membership, p_user_id);
  RETURN jsonb_build_object(
    'outcome', 'ended',
    'membership', accounts.membership_json(v_membership),
    'events', jsonb_build_array(auth.outbox_message(v_event))
              || auth.unpublished_events(p_outbox_retry_seconds, 10));
END
$function$;

COMMENT ON FUNCTION auth.end_membership(uuid,uuid,uuid,uuid,integer) IS
  'Staff who administer an organization, or its head, end a member''s current membership (kept as history) with its membership.ended event; the member''s sessions whose access tokens name the organization end (reason membership_ended); the account and other memberships stay. A head does not remove a head. Returns {outcome: ended, membership, events}, {outcome: target_out_of_reach}, {outcome: not_allowed} (other staff), {outcome: not_found} (no such current member, or the caller may not see the organization) or {outcome: session_inactive}. A head''s membership ended by staff ends their headship as a dismissal does (accounts.headship_ended).';

REVOKE ALL ON FUNCTION auth.end_membership(uuid,uuid,uuid,uuid,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.end_membership(uuid,uuid,uuid,uuid,integer) TO auth_service;
