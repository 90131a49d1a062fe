CREATE OR REPLACE FUNCTION auth.register_by_phone(p_proof_digest bytea, p_second_login text, p_phone text, p_email text, p_profile jsonb, p_group_names text[], p_interface text, p_refresh_token_hash bytea, p_session_ttl_seconds integer, p_user_agent text, p_client_ip text, p_outbox_retry_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_registered jsonb;
BEGIN
  IF NOT auth.redeem_proof(p_proof_digest, p_phone, 'register') THEN
    RETURN jsonb_build_object('outcome', 'proof_invalid');
  END IF;
  v_registered := auth.register(p_second_login, p_phone, p_email, NULL, p_profile, p_group_names,
                                p_interface, p_refresh_token_hash, p_session_ttl_seconds,
                                p_user_agent, p_client_ip, p_outbox_retry_seconds);
  IF v_registered->>'outcome' <> 'registered' THEN
    -- Nothing else happened: the proof stays usable for a corrected request.
    UPDATE auth.otp_proofs SET used_at = NULL WHERE proof_digest = p_proof_digest;
    RETURN v_registered;
  END IF;
  UPDATE accounts.contacts SET verified_at = now()
  WHERE user_id = (v_registered->>'user_id')::uuid AND contact_type = 'phone' AND is_active;
  RETURN v_registered;
END
$function$;

COMMENT ON FUNCTION auth.register_by_phone(bytea,text,text,text,jsonb,text[],text,bytea,integer,text,text,integer) IS
  'Phone-only self-registration: auth.register without a password, given a one-time register proof for the phone (used up only if the registration succeeds), the phone marked verified. Returns auth.register''s outcomes, or {outcome: proof_invalid}.';

REVOKE ALL ON FUNCTION auth.register_by_phone(bytea,text,text,text,jsonb,text[],text,bytea,integer,text,text,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.register_by_phone(bytea,text,text,text,jsonb,text[],text,bytea,integer,text,text,integer) TO auth_service;
