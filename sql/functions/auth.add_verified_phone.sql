CREATE OR REPLACE FUNCTION auth.add_verified_phone(p_user_id uuid, p_session_id uuid, p_proof_digest bytea, p_phone text)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
  v_contact    accounts.contacts;
  v_constraint text;
BEGIN
  -- The user's contact changes take turns.
  PERFORM 1 FROM accounts.users WHERE id = p_user_id FOR UPDATE;
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  IF NOT auth.redeem_proof(p_proof_digest, p_phone, 'verify_phone') THEN
    RETURN jsonb_build_object('outcome', 'proof_invalid');
  END IF;
  -- Their own current phone: verified now.
  UPDATE accounts.contacts SET verified_at = coalesce(verified_at, now())
  WHERE user_id = p_user_id AND contact_type = 'phone' AND value = p_phone AND is_active
  RETURNING * INTO v_contact;
  IF NOT FOUND THEN
    BEGIN
      UPDATE accounts.contacts SET is_active = false, deactivated_at = now()
      WHERE user_id = p_user_id AND contact_type = 'phone' AND is_active;
      INSERT INTO accounts.contacts (user_id, contact_type, value, verified_at)
      VALUES (p_user_id, 'phone', p_phone, now())
      RETURNING * INTO v_contact;
    EXCEPTION WHEN unique_violation THEN
      GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
      IF v_constraint IS DISTINCT FROM 'contacts_active_value_key' THEN
        RAISE;
      END IF;
      -- Someone else's phone: the block rolled back, the proof is kept
      -- used (it proved a phone this user cannot have).
      RETURN jsonb_build_object('outcome', 'taken', 'field', 'phone');
    END;
  END IF;
  UPDATE accounts.users SET updated_at = now() WHERE id = p_user_id;
  RETURN jsonb_build_object('outcome', 'added', 'contact', jsonb_build_object(
    'id', v_contact.id, 'type', v_contact.contact_type, 'value', v_contact.value,
    'verified', true, 'created_at', v_contact.created_at));
END
$function$;

COMMENT ON FUNCTION auth.add_verified_phone(uuid,uuid,bytea,text) IS
  'The signed-in user''s phone, proven by a one-time verify_phone proof: their current phone is marked verified, or a new one replaces it (the old stays as history), verified. Returns {outcome: added, contact}, {outcome: taken, field}, {outcome: proof_invalid} or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.add_verified_phone(uuid,uuid,bytea,text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.add_verified_phone(uuid,uuid,bytea,text) TO auth_service;
