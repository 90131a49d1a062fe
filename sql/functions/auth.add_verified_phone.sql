CREATE OR REPLACE FUNCTION auth.add_verified_phone(p_user_id uuid, p_session_id uuid, p_checked_password_hash text, p_reauth_proof_digest bytea, p_phone_proof_digest bytea, p_phone text)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
  v_refused    jsonb;
  v_contact    accounts.contacts;
  v_previous   accounts.contacts;
  v_taken_from uuid;
  v_constraint text;
BEGIN
  -- The user's contact changes take turns.
  PERFORM 1 FROM accounts.users WHERE id = p_user_id FOR UPDATE;
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  IF NOT auth.redeem_proof(p_phone_proof_digest, p_phone, 'verify_phone', p_user_id) THEN
    RETURN jsonb_build_object('outcome', 'proof_invalid');
  END IF;
  -- Their own current phone: verified now. How they sign in stays as it was.
  UPDATE accounts.contacts SET verified_at = coalesce(verified_at, now())
  WHERE user_id = p_user_id AND contact_type = 'phone' AND value = p_phone AND is_active
  RETURNING * INTO v_contact;
  IF FOUND THEN
    UPDATE accounts.users SET updated_at = now() WHERE id = p_user_id;
    RETURN jsonb_build_object('outcome', 'added', 'changed', false, 'contact', jsonb_build_object(
      'id', v_contact.id, 'type', v_contact.contact_type, 'value', v_contact.value,
      'verified', true, 'created_at', v_contact.created_at));
  END IF;

  -- A new phone replaces the current one: a sensitive change (SPEC §2).
  v_refused := auth.confirm_account(p_user_id, p_session_id, p_checked_password_hash,
                                    p_reauth_proof_digest);
  IF v_refused IS NOT NULL THEN
    -- Nothing changed: the phone's proof stays usable once the account is proven.
    UPDATE auth.otp_proofs SET used_at = NULL WHERE proof_digest = p_phone_proof_digest;
    RETURN v_refused;
  END IF;
  SELECT * INTO v_previous FROM accounts.contacts
  WHERE user_id = p_user_id AND contact_type = 'phone' AND is_active;
  -- Held unverified by another account: whoever proves it takes it (its
  -- contact ends, kept as history).
  UPDATE accounts.contacts SET is_active = false, deactivated_at = now()
  WHERE contact_type = 'phone' AND value = p_phone AND is_active AND verified_at IS NULL
    AND user_id <> p_user_id
  RETURNING user_id INTO v_taken_from;
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
    -- Someone else's verified phone: the block rolled back; the phone's
    -- proof is kept used (it proved a phone this user cannot have), the
    -- account's proof is given back.
    UPDATE auth.otp_proofs SET used_at = NULL WHERE proof_digest = p_reauth_proof_digest;
    RETURN jsonb_build_object('outcome', 'taken', 'field', 'phone');
  END;
  UPDATE accounts.users SET updated_at = now() WHERE id = p_user_id;
  UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'contact_changed'
  WHERE user_id = p_user_id AND id <> p_session_id AND revoked_at IS NULL;
  RETURN jsonb_build_object('outcome', 'added', 'changed', true,
    -- Where the notice goes: the replaced phone, if it was ever proven.
    'replaced_phone', CASE WHEN v_previous.verified_at IS NOT NULL THEN v_previous.value END,
    'taken_from', v_taken_from,
    'contact', jsonb_build_object(
      'id', v_contact.id, 'type', v_contact.contact_type, 'value', v_contact.value,
      'verified', true, 'created_at', v_contact.created_at));
END
$function$;

COMMENT ON FUNCTION auth.add_verified_phone(uuid,uuid,text,bytea,bytea,text) IS
  'The signed-in user''s phone, proven by their one-time verify_phone proof: their current phone is marked verified ({changed: false}), or a new one replaces it (the old stays as history), verified, after a fresh proof of the account (auth.confirm_account), taking it from an account that held it unverified and ending every other session of the user. Returns {outcome: added, changed, contact, replaced_phone?, taken_from?}, {outcome: taken, field}, {outcome: proof_invalid}, or auth.confirm_account''s refusals.';

REVOKE ALL ON FUNCTION auth.add_verified_phone(uuid,uuid,text,bytea,bytea,text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.add_verified_phone(uuid,uuid,text,bytea,bytea,text) TO auth_service;
