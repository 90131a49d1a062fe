CREATE OR REPLACE FUNCTION auth.accept_invitation(p_user_id uuid, p_session_id uuid, p_invitation_id uuid, p_outbox_retry_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
  v_invitation accounts.organization_invitations;
  v_head_group text;
  v_roles      text[];
  v_membership accounts.organization_members;
  v_events     jsonb := '[]'::jsonb;
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  -- Membership changes of one user take turns (as auth.add_member's).
  PERFORM 1 FROM accounts.users WHERE id = p_user_id FOR UPDATE;
  -- The inviter's row before the invitation's, the order a dismissal or
  -- a membership's end takes them in (the user, then their invitations):
  -- held so that no change of their standing commits between the check
  -- below and the membership.
  PERFORM 1 FROM accounts.users
  WHERE id = (SELECT invited_by FROM accounts.organization_invitations
              WHERE id = p_invitation_id AND user_id = p_user_id)
  FOR SHARE;
  SELECT * INTO v_invitation FROM accounts.organization_invitations
  WHERE id = p_invitation_id AND user_id = p_user_id AND status = 'pending' AND expires_at > now()
  FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'not_found');
  END IF;
  -- What the head's invitation checked, checked again now, with the
  -- organization held (FOR SHARE) so that it is not closed meanwhile.
  SELECT k.head_group INTO v_head_group
  FROM accounts.organizations o JOIN accounts.organization_kinds k ON k.name = o.kind
  WHERE o.id = v_invitation.organization_id AND o.is_active
  FOR SHARE OF o;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'organization_inactive');
  END IF;
  -- An invitation lives only while its head still heads the organization
  -- (dismissed, gone, or deleted: withdrawn, and answered as unknown).
  IF v_invitation.invited_by IS NULL
     OR accounts.organization_standing(v_invitation.invited_by, v_invitation.organization_id) <> 'heads' THEN
    UPDATE accounts.organization_invitations SET status = 'withdrawn', closed_at = now()
    WHERE id = v_invitation.id;
    RETURN jsonb_build_object('outcome', 'not_found');
  END IF;
  IF EXISTS (SELECT FROM accounts.organization_members
             WHERE user_id = p_user_id AND ended_at IS NULL
               AND organization_id <> v_invitation.organization_id) THEN
    RETURN jsonb_build_object('outcome', 'member_elsewhere');
  END IF;
  v_roles := accounts.user_roles(p_user_id);
  IF NOT v_roles && ARRAY(SELECT grantee_group FROM accounts.grants WHERE grantor_group = v_head_group)
     OR EXISTS (SELECT FROM accounts.groups WHERE name = ANY (v_roles) AND side = 'staff') THEN
    RETURN jsonb_build_object('outcome', 'not_eligible');
  END IF;

  INSERT INTO accounts.organization_members (organization_id, user_id, started_by)
  VALUES (v_invitation.organization_id, p_user_id, p_user_id)
  ON CONFLICT (organization_id, user_id) WHERE ended_at IS NULL DO NOTHING
  RETURNING * INTO v_membership;
  IF FOUND THEN
    v_events := jsonb_build_array(auth.outbox_message(
      auth.write_membership_event('membership.started', v_membership, p_user_id)));
  ELSE
    -- Staff added them meanwhile: the invitation is answered all the same.
    SELECT * INTO v_membership FROM accounts.organization_members
    WHERE organization_id = v_invitation.organization_id AND user_id = p_user_id AND ended_at IS NULL;
  END IF;
  UPDATE accounts.organization_invitations
  SET status = 'accepted', closed_at = now(),
      membership_id = CASE WHEN v_events = '[]'::jsonb THEN NULL ELSE v_membership.id END
  WHERE id = v_invitation.id;
  RETURN jsonb_build_object(
    'outcome', 'accepted',
    'invitation', jsonb_build_object('id', v_invitation.id,
                                     'organization_id', v_invitation.organization_id,
                                     'user_id', p_user_id,
                                     'invited_by', v_invitation.invited_by),
    'membership', accounts.membership_json(v_membership),
    'events', v_events || auth.unpublished_events(p_outbox_retry_seconds, 10));
END
$function$;

COMMENT ON FUNCTION auth.accept_invitation(uuid,uuid,uuid,integer) IS
  'The signed-in user accepts one of their pending, unexpired invitations: the membership starts now, with its membership.started event, after the checks of the head''s invitation are made again (the organization active, the user of no other organization, holding a role its heads grant and no staff role). Returns {outcome: accepted, invitation, membership, events}, {outcome: organization_inactive}, {outcome: member_elsewhere}, {outcome: not_eligible} (the invitation stays pending), {outcome: not_found} (unknown, someone else''s, answered, expired, or made by someone who no longer heads the organization, which withdraws it: one answer) or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.accept_invitation(uuid,uuid,uuid,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.accept_invitation(uuid,uuid,uuid,integer) TO auth_service;
