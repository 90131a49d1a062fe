CREATE OR REPLACE FUNCTION auth.add_contact(p_user_id uuid, p_session_id uuid, p_checked_password_hash text, p_reauth_proof_digest bytea, p_contact_type text, p_value text, p_email_link_digest bytea, p_email_link_ttl_seconds integer)
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
  -- A sensitive change (SPEC §2): a fresh proof of the account, under the
  -- user's row lock.
  v_refused := auth.confirm_account(p_user_id, p_session_id, p_checked_password_hash,
                                    p_reauth_proof_digest);
  IF v_refused IS NOT NULL THEN
    RETURN v_refused;
  END IF;
  SELECT single_active INTO v_single FROM accounts.contact_types WHERE name = p_contact_type;
  IF NOT FOUND OR p_contact_type = 'phone' THEN
    -- A phone comes only with a proof that it received a code (add_verified_phone).
    RAISE EXCEPTION 'no contact of type % is added here', p_contact_type USING ERRCODE = '22023';
  END IF;

  IF p_contact_type = 'email' AND EXISTS (
       SELECT FROM accounts.contacts
       WHERE contact_type = 'email' AND value = p_value AND is_active AND verified_at IS NULL
         AND user_id <> p_user_id) THEN
    -- Held unverified by another account: never kept from its owner (SPEC
    -- §2). The link claims it; following it takes it (auth.verify_email).
    IF p_email_link_digest IS NOT NULL THEN
      INSERT INTO auth.email_links (token_digest, purpose, user_id, email, expires_at)
      VALUES (p_email_link_digest, 'verify_email', p_user_id, p_value,
              now() + make_interval(secs => p_email_link_ttl_seconds));
    END IF;
    RETURN jsonb_build_object('outcome', 'claimed', 'email', p_value);
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
    -- Nothing changed: a reauth proof stays usable for a corrected request.
    UPDATE auth.otp_proofs SET used_at = NULL WHERE proof_digest = p_reauth_proof_digest;
    RETURN jsonb_build_object('outcome', 'taken', 'field', p_contact_type);
  END;
  UPDATE accounts.users SET updated_at = now() WHERE id = p_user_id;
  IF p_contact_type = 'email' AND p_email_link_digest IS NOT NULL THEN
    INSERT INTO auth.email_links (token_digest, purpose, user_id, email, expires_at)
    VALUES (p_email_link_digest, 'verify_email', p_user_id, p_value,
            now() + make_interval(secs => p_email_link_ttl_seconds));
  END IF;
  -- Whoever changed how one signs in, the other sessions end.
  UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'contact_changed'
  WHERE user_id = p_user_id AND id <> p_session_id AND revoked_at IS NULL;

  RETURN jsonb_build_object('outcome', 'added', 'contact', jsonb_build_object(
    'id', v_contact.id, 'type', v_contact.contact_type, 'value', v_contact.value,
    'verified', v_contact.verified_at IS NOT NULL, 'created_at', v_contact.created_at));
END
$function$;

COMMENT ON FUNCTION auth.add_contact(uuid,uuid,text,bytea,text,text,bytea,integer) IS
  'Adds a second_login or email (normalized value) for the signed-in user: a sensitive change, so after a fresh proof of the account (auth.confirm_account: the password hash checked, still current, or a reauth proof). A second_login replaces the active one, which stays as history; every other session of the user ends. An email also gets a verify_email link (p_email_link_digest: SHA-256 of its token, valid p_email_link_ttl_seconds; NULL: none, emails cannot go out); one another account holds unverified is claimed instead of added ({outcome: claimed, email}; following the link takes it, auth.verify_email). Returns {outcome: added, contact: {id, type, value, verified, created_at}}, {outcome: taken, field} or auth.confirm_account''s refusals.';

REVOKE ALL ON FUNCTION auth.add_contact(uuid,uuid,text,bytea,text,text,bytea,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.add_contact(uuid,uuid,text,bytea,text,text,bytea,integer) TO auth_service;
