CREATE OR REPLACE FUNCTION auth.decline_invitation(p_user_id uuid, p_session_id uuid, p_invitation_id uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
  v_invitation accounts.organization_invitations;
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  UPDATE accounts.organization_invitations SET status = 'declined', closed_at = now()
  WHERE id = p_invitation_id AND user_id = p_user_id AND status = 'pending' AND expires_at > now()
  RETURNING * INTO v_invitation;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'not_found');
  END IF;
  RETURN jsonb_build_object('outcome', 'declined', 'invitation', jsonb_build_object(
    'id', v_invitation.id,
    'organization_id', v_invitation.organization_id,
    'user_id', v_invitation.user_id));
END
$function$;

COMMENT ON FUNCTION auth.decline_invitation(uuid,uuid,uuid) IS
  'The signed-in user declines one of their pending, unexpired invitations (kept as history, status declined; the head may invite again). Returns {outcome: declined, invitation: {id, organization_id, user_id}}, {outcome: not_found} (unknown, someone else''s, answered or expired: one answer) or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.decline_invitation(uuid,uuid,uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.decline_invitation(uuid,uuid,uuid) TO auth_service;
