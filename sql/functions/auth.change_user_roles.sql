CREATE OR REPLACE FUNCTION auth.change_user_roles(p_user_id uuid, p_session_id uuid, p_target_id uuid, p_add text[], p_remove text[])
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_refused text[];
  v_after   text[];
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  -- Role changes of one user take turns.
  PERFORM 1 FROM accounts.users WHERE id = p_target_id FOR UPDATE;
  -- Beyond the caller's reach is as absent (a head reaches the members of
  -- the organizations it heads).
  IF NOT FOUND OR (p_target_id <> p_user_id AND NOT accounts.reaches(p_user_id, p_target_id)) THEN
    RETURN jsonb_build_object('outcome', 'not_found');
  END IF;
  v_refused := ARRAY(SELECT unnest(p_add || p_remove)
                     EXCEPT SELECT unnest(CASE WHEN p_target_id = p_user_id
                                               THEN accounts.grantable_roles(p_user_id)
                                               ELSE accounts.grantable_over(p_user_id, p_target_id)
                                          END) ORDER BY 1);
  IF cardinality(v_refused) > 0 THEN
    RETURN jsonb_build_object('outcome', 'roles_not_allowed', 'roles', to_jsonb(v_refused));
  END IF;
  IF p_target_id <> p_user_id AND NOT accounts.may_edit(p_user_id, p_target_id) THEN
    RETURN jsonb_build_object('outcome', 'target_out_of_reach');
  END IF;
  v_after := ARRAY(SELECT unnest(accounts.user_roles(p_target_id)) UNION SELECT unnest(p_add)
                   EXCEPT SELECT unnest(p_remove) ORDER BY 1);
  IF cardinality(v_after) = 0 THEN
    RETURN jsonb_build_object('outcome', 'no_role_left');
  END IF;
  IF p_target_id = p_user_id AND accounts.is_staff(p_user_id) AND NOT EXISTS (
       SELECT FROM accounts.groups WHERE name = ANY (v_after) AND side = 'staff') THEN
    RETURN jsonb_build_object('outcome', 'own_last_staff_role');
  END IF;

  DELETE FROM accounts.memberships WHERE user_id = p_target_id AND group_name = ANY (p_remove);
  INSERT INTO accounts.memberships (user_id, group_name, granted_by)
  SELECT p_target_id, g, p_user_id FROM unnest(p_add) g
  -- Granted outright now: a later dismissal as head leaves it.
  ON CONFLICT (user_id, group_name) DO UPDATE SET by_appointment = false;
  UPDATE accounts.users SET updated_at = now() WHERE id = p_target_id;
  RETURN jsonb_build_object('outcome', 'changed', 'roles', to_jsonb(accounts.user_roles(p_target_id)));
END
$function$;

COMMENT ON FUNCTION auth.change_user_roles(uuid,uuid,uuid,text[],text[]) IS
  'Adds and removes roles of a user, each one the caller may grant them now (accounts.grantable_over: a head only what it may grant in an organization it heads that the user belongs to), on a user holding only such roles; a user beyond the caller''s reach (accounts.reaches) is not_found. Returns {outcome: changed, roles}, {outcome: roles_not_allowed, roles}, {outcome: target_out_of_reach}, {outcome: no_role_left}, {outcome: own_last_staff_role}, {outcome: not_found} or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.change_user_roles(uuid,uuid,uuid,text[],text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.change_user_roles(uuid,uuid,uuid,text[],text[]) TO auth_service;
