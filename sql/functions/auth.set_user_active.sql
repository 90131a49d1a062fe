CREATE OR REPLACE FUNCTION auth.set_user_active(p_user_id uuid, p_session_id uuid, p_target_id uuid, p_active boolean)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  PERFORM 1 FROM accounts.users WHERE id = p_target_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'not_found');
  END IF;
  IF NOT accounts.is_staff(p_user_id) THEN
    -- Heads end memberships; accounts are staff's. Beyond reach is absent.
    RETURN jsonb_build_object('outcome',
      CASE WHEN accounts.reaches(p_user_id, p_target_id) THEN 'staff_only' ELSE 'not_found' END);
  END IF;
  IF p_target_id = p_user_id THEN
    RETURN jsonb_build_object('outcome', 'target_out_of_reach');
  END IF;
  IF NOT accounts.may_edit(p_user_id, p_target_id) OR cardinality(accounts.grantable_roles(p_user_id)) = 0 THEN
    RETURN jsonb_build_object('outcome', 'target_out_of_reach');
  END IF;
  UPDATE accounts.users SET is_active = p_active, updated_at = now() WHERE id = p_target_id;
  IF NOT p_active THEN
    UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'user_deactivated'
    WHERE user_id = p_target_id AND revoked_at IS NULL;
  END IF;
  RETURN jsonb_build_object('outcome', 'changed', 'is_active', p_active);
END
$function$;

COMMENT ON FUNCTION auth.set_user_active(uuid,uuid,uuid,boolean) IS
  'Staff activate or deactivate another user holding only roles they may grant (a head answers staff_only for its members, not_found for anyone else); deactivation ends all their sessions at once. Returns {outcome: changed, is_active}, {outcome: target_out_of_reach}, {outcome: staff_only}, {outcome: not_found} or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.set_user_active(uuid,uuid,uuid,boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.set_user_active(uuid,uuid,uuid,boolean) TO auth_service;
