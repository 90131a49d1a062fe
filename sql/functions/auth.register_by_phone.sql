CREATE OR REPLACE FUNCTION auth.register_by_phone(p_proof_digest bytea, p_second_login text, p_phone text, p_email text, p_profile jsonb, p_group_names text[], p_interface text, p_refresh_seed bytea, p_session_ttl_seconds integer, p_user_agent text, p_client_ip text, p_outbox_retry_seconds integer, p_email_link_digest bytea, p_email_link_ttl_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_registered jsonb;
  v_squatted   accounts.contacts;
BEGIN
  IF NOT auth.redeem_proof(p_proof_digest, p_phone, 'register', NULL) THEN
    RETURN jsonb_build_object('outcome', 'proof_invalid');
  END IF;
  -- Held unverified by an account: whoever proves the phone takes it (SPEC
  -- §2); that contact ends, kept as history.
  UPDATE accounts.contacts SET is_active = false, deactivated_at = now()
  WHERE contact_type = 'phone' AND value = p_phone AND is_active AND verified_at IS NULL
  RETURNING * INTO v_squatted;
  v_registered := auth.register(p_second_login, p_phone, p_email, NULL, p_profile, p_group_names,
                                p_interface, p_refresh_seed, p_session_ttl_seconds,
                                p_user_agent, p_client_ip, p_outbox_retry_seconds,
                                p_email_link_digest, p_email_link_ttl_seconds);
  IF v_registered->>'outcome' <> 'registered' THEN
    -- Nothing else happened: the proof stays usable for a corrected
    -- request, and the phone with the account that had it.
    UPDATE auth.otp_proofs SET used_at = NULL WHERE proof_digest = p_proof_digest;
    UPDATE accounts.contacts SET is_active = true, deactivated_at = NULL WHERE id = v_squatted.id;
    RETURN v_registered;
  END IF;
  UPDATE accounts.contacts SET verified_at = now()
  WHERE user_id = (v_registered->>'user_id')::uuid AND contact_type = 'phone' AND is_active;
  -- Opened by a code to the phone, not a password (RFC 8176 amr).
  UPDATE auth.sessions SET amr = '{sms}' WHERE id = (v_registered->>'session_id')::uuid;
  IF v_squatted.id IS NOT NULL THEN
    UPDATE accounts.users SET updated_at = now() WHERE id = v_squatted.user_id;
    v_registered := v_registered || jsonb_build_object('taken_from', v_squatted.user_id);
  END IF;
  RETURN v_registered;
END
$function$;

COMMENT ON FUNCTION auth.register_by_phone(bytea,text,text,text,jsonb,text[],text,bytea,integer,text,text,integer,bytea,integer) IS
  'Phone-only self-registration: auth.register without a password, given a one-time register proof for the phone (used up only if the registration succeeds), the phone marked verified and taken from an account that held it unverified (that contact ended, kept as history; taken_from names the account). Returns auth.register''s outcomes (registered with taken_from when it took the phone), or {outcome: proof_invalid}.';

REVOKE ALL ON FUNCTION auth.register_by_phone(bytea,text,text,text,jsonb,text[],text,bytea,integer,text,text,integer,bytea,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.register_by_phone(bytea,text,text,text,jsonb,text[],text,bytea,integer,text,text,integer,bytea,integer) TO auth_service;
