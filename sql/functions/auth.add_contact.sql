CREATE OR REPLACE FUNCTION auth.add_contact(p_user_id uuid, p_session_id uuid, p_checked_password_hash text, p_contact_type text, p_value text)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
  v_refused    jsonb;
  v_single     boolean;
  v_contact    accounts.contacts;
  v_constraint text;
BEGIN
  -- The user's contact changes take turns, and the password checked must
  -- still be theirs.
  v_refused := auth.recheck_credentials(p_user_id, p_session_id, p_checked_password_hash);
  IF v_refused IS NOT NULL THEN
    RETURN v_refused;
  END IF;
  SELECT single_active INTO v_single FROM accounts.contact_types WHERE name = p_contact_type;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown contact type %', p_contact_type;
  END IF;

  BEGIN
    IF v_single THEN
      UPDATE accounts.contacts SET is_active = false, deactivated_at = now()
      WHERE user_id = p_user_id AND contact_type = p_contact_type AND is_active;
    END IF;
    INSERT INTO accounts.contacts (user_id, contact_type, value)
    VALUES (p_user_id, p_contact_type, p_value)
    RETURNING * INTO v_contact;
  EXCEPTION WHEN unique_violation THEN
    -- Someone's active value (the previous one is active again: the block
    -- rolled back). Another user who won a race for it looks the same.
    GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
    IF v_constraint IS DISTINCT FROM 'contacts_active_value_key' THEN
      RAISE;
    END IF;
    RETURN jsonb_build_object('outcome', 'taken', 'field', p_contact_type);
  END;
  UPDATE accounts.users SET updated_at = now() WHERE id = p_user_id;

  RETURN jsonb_build_object('outcome', 'added', 'contact', jsonb_build_object(
    'id', v_contact.id, 'type', v_contact.contact_type, 'value', v_contact.value,
    'verified', v_contact.verified_at IS NOT NULL, 'created_at', v_contact.created_at));
END
$function$;

COMMENT ON FUNCTION auth.add_contact(uuid,uuid,text,text,text) IS
  'Adds a contact (normalized value) for the signed-in user after a password check (the hash checked must still be current). A second_login or phone replaces the active one, which stays as history. Returns {outcome: added, contact: {id, type, value, verified, created_at}}, {outcome: taken, field}, {outcome: session_inactive} or {outcome: credentials_changed}.';

REVOKE ALL ON FUNCTION auth.add_contact(uuid,uuid,text,text,text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.add_contact(uuid,uuid,text,text,text) TO auth_service;
