CREATE OR REPLACE FUNCTION auth.add_member(p_user_id uuid, p_session_id uuid, p_organization_id uuid, p_target_id uuid, p_contact_type text, p_contact_value text, p_outbox_retry_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
  v_standing   text;
  v_target     uuid;
  v_roles      text[];
  v_membership accounts.organization_members;
  v_invitation accounts.organization_invitations;
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
  IF NOT (SELECT is_active FROM accounts.organizations WHERE id = p_organization_id) THEN
    RETURN jsonb_build_object('outcome', 'organization_inactive');
  END IF;
  -- The user, by id or by an active contact (normalized value).
  v_target := coalesce(p_target_id, (SELECT user_id FROM accounts.contacts
                                     WHERE contact_type = p_contact_type
                                       AND value = p_contact_value AND is_active));
  -- Membership changes of one user take turns.
  PERFORM 1 FROM accounts.users WHERE id = v_target AND is_active FOR UPDATE;
  IF v_standing = 'heads' THEN
    -- A head invites; the person joins by accepting (auth.accept_invitation).
    -- Whatever the target, the head learns nothing: not_invited is one
    -- answer for a user who is unknown, inactive, already invited, already
    -- a member, of another organization (staff move people between them),
    -- or out of reach (a head brings in the people its organization is
    -- for, holding a role it may grant there, never staff).
    IF NOT FOUND THEN
      RETURN jsonb_build_object('outcome', 'not_invited');
    END IF;
    IF EXISTS (SELECT FROM accounts.organization_members
               WHERE user_id = v_target AND ended_at IS NULL) THEN
      RETURN jsonb_build_object('outcome', 'not_invited');
    END IF;
    v_roles := accounts.user_roles(v_target);
    IF NOT v_roles && accounts.grantable_in(p_user_id, p_organization_id)
       OR EXISTS (SELECT FROM accounts.groups WHERE name = ANY (v_roles) AND side = 'staff') THEN
      RETURN jsonb_build_object('outcome', 'not_invited');
    END IF;
    -- An expired invitation still marked pending gives way to a new one,
    -- as does one whose head no longer heads the organization.
    UPDATE accounts.organization_invitations SET status = 'expired', closed_at = now()
    WHERE organization_id = p_organization_id AND user_id = v_target
      AND status = 'pending' AND expires_at <= now();
    UPDATE accounts.organization_invitations SET status = 'withdrawn', closed_at = now()
    WHERE organization_id = p_organization_id AND user_id = v_target AND status = 'pending'
      AND (invited_by IS NULL
           OR accounts.organization_standing(invited_by, p_organization_id) <> 'heads');
    INSERT INTO accounts.organization_invitations (organization_id, user_id, invited_by, expires_at)
    VALUES (p_organization_id, v_target, p_user_id, now() + interval '7 days')
    ON CONFLICT (organization_id, user_id) WHERE status = 'pending' DO NOTHING
    RETURNING * INTO v_invitation;
    IF NOT FOUND THEN
      RETURN jsonb_build_object('outcome', 'not_invited');
    END IF;
    RETURN jsonb_build_object('outcome', 'invited', 'invitation', jsonb_build_object(
      'id', v_invitation.id,
      'organization_id', v_invitation.organization_id,
      'user_id', v_invitation.user_id,
      'expires_at', v_invitation.expires_at));
  END IF;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'user_not_found');
  END IF;

  INSERT INTO accounts.organization_members (organization_id, user_id, started_by)
  VALUES (p_organization_id, v_target, p_user_id)
  ON CONFLICT (organization_id, user_id) WHERE ended_at IS NULL DO NOTHING
  RETURNING * INTO v_membership;
  IF NOT FOUND THEN
    SELECT * INTO v_membership FROM accounts.organization_members
    WHERE organization_id = p_organization_id AND user_id = v_target AND ended_at IS NULL;
    RETURN jsonb_build_object('outcome', 'already_member',
                              'membership', accounts.membership_json(v_membership));
  END IF;
  v_event := auth.write_membership_event('membership.started', v_membership, p_user_id);
  RETURN jsonb_build_object(
    'outcome', 'added',
    'membership', accounts.membership_json(v_membership),
    'events', jsonb_build_array(auth.outbox_message(v_event))
              || auth.unpublished_events(p_outbox_retry_seconds, 10));
END
$function$;

COMMENT ON FUNCTION auth.add_member(uuid,uuid,uuid,uuid,text,text,integer) IS
  'Staff who administer an organization add an existing active user (by id, or by an active contact: type and normalized value) as a current member, with its membership.started event. Its head invites instead (for 7 days; the user joins by auth.accept_invitation): only active users of no organization, holding a role it may grant there and no staff role, not already invited. Returns {outcome: added, membership, events}, {outcome: already_member, membership}, {outcome: user_not_found} (staff); {outcome: invited, invitation: {id, organization_id, user_id, expires_at}}, {outcome: not_invited} (a head: one answer whatever the target); {outcome: organization_inactive}, {outcome: not_allowed} (other staff), {outcome: not_found} or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.add_member(uuid,uuid,uuid,uuid,text,text,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.add_member(uuid,uuid,uuid,uuid,text,text,integer) TO auth_service;
