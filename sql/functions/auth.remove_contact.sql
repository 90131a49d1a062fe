CREATE OR REPLACE FUNCTION auth.remove_contact(p_user_id uuid, p_session_id uuid, p_contact_id uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_contact accounts.contacts;
BEGIN
  PERFORM 1 FROM accounts.users WHERE id = p_user_id FOR UPDATE;
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  SELECT * INTO v_contact FROM accounts.contacts
  WHERE id = p_contact_id AND user_id = p_user_id AND is_active;
  IF NOT FOUND THEN
    -- Someone else's contact is as absent as one that never existed.
    RETURN jsonb_build_object('outcome', 'not_found');
  END IF;
  IF (SELECT single_active FROM accounts.contact_types WHERE name = v_contact.contact_type) THEN
    -- The only active one of its kind: replace it instead.
    RETURN jsonb_build_object('outcome', 'last_of_its_kind', 'field', v_contact.contact_type);
  END IF;
  UPDATE accounts.contacts SET is_active = false, deactivated_at = now() WHERE id = p_contact_id;
  -- A removed email's links die with it: a verification link would bring
  -- it back without a fresh proof, a recovery link is for a contact the
  -- user no longer has.
  UPDATE auth.email_links SET used_at = now()
  WHERE user_id = p_user_id AND email = v_contact.value AND used_at IS NULL;
  RETURN jsonb_build_object('outcome', 'removed');
END
$function$;

COMMENT ON FUNCTION auth.remove_contact(uuid,uuid,uuid) IS
  'Deactivates one of the signed-in user''s active contacts (kept as history); a removed email''s unused links are spent. Returns {outcome: removed}, {outcome: not_found}, {outcome: last_of_its_kind, field} (a second_login or phone can only be replaced) or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.remove_contact(uuid,uuid,uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.remove_contact(uuid,uuid,uuid) TO auth_service;
