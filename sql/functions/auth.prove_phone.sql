CREATE OR REPLACE FUNCTION auth.prove_phone(p_phone text, p_purpose text, p_user_id uuid, p_code_digest bytea, p_max_attempts integer, p_proof_digest bytea, p_proof_ttl_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_used jsonb;
BEGIN
  IF p_purpose NOT IN ('register', 'verify_phone')
     OR (p_purpose = 'verify_phone') <> (p_user_id IS NOT NULL) THEN
    RAISE EXCEPTION 'no phone proof for purpose % (user given: %)', p_purpose, p_user_id IS NOT NULL
      USING ERRCODE = '22023';
  END IF;
  v_used := auth.use_otp(p_phone, p_purpose, p_user_id, p_code_digest, p_max_attempts);
  IF v_used->>'outcome' <> 'used' THEN
    RETURN v_used;
  END IF;
  INSERT INTO auth.otp_proofs (proof_digest, phone, purpose, user_id, expires_at)
  VALUES (p_proof_digest, p_phone, p_purpose, p_user_id,
          now() + make_interval(secs => p_proof_ttl_seconds));
  RETURN jsonb_build_object('outcome', 'proven', 'expires_in', p_proof_ttl_seconds);
END
$function$;

COMMENT ON FUNCTION auth.prove_phone(text,text,uuid,bytea,integer,bytea,integer) IS
  'Uses a register code, or a verify_phone code of the signed-in p_user_id (auth.use_otp), and stores a one-time proof (SHA-256 given) that the phone received it, valid p_proof_ttl_seconds and, for verify_phone, only for that user. Returns {outcome: proven, expires_in}, {outcome: wrong, attempts_left} or {outcome: invalid}.';

REVOKE ALL ON FUNCTION auth.prove_phone(text,text,uuid,bytea,integer,bytea,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.prove_phone(text,text,uuid,bytea,integer,bytea,integer) TO auth_service;
