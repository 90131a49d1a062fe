CREATE OR REPLACE FUNCTION auth.prove_account(p_user_id uuid, p_session_id uuid, p_code_digest bytea, p_max_attempts integer, p_proof_digest bytea, p_proof_ttl_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_phone   text;
  v_used    jsonb;
  v_expires timestamptz;
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  -- The code went to the phone the user has now; a phone replaced since
  -- has no code of theirs.
  SELECT value INTO v_phone FROM accounts.contacts
  WHERE user_id = p_user_id AND contact_type = 'phone' AND is_active AND verified_at IS NOT NULL;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  v_used := auth.use_otp(v_phone, 'reauth', p_user_id, p_code_digest, p_max_attempts);
  IF v_used->>'outcome' <> 'used' THEN
    RETURN v_used;
  END IF;
  -- Fresh means asked for at most reauth_seconds ago: the proof lives
  -- from the code's request, not from its use.
  v_expires := (v_used->>'asked_at')::timestamptz + make_interval(secs => p_proof_ttl_seconds);
  IF v_expires <= now() THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  INSERT INTO auth.otp_proofs (proof_digest, phone, purpose, user_id, expires_at)
  VALUES (p_proof_digest, v_phone, 'reauth', p_user_id, v_expires);
  RETURN jsonb_build_object('outcome', 'proven',
    'expires_in', greatest(1, floor(extract(epoch FROM v_expires - now())))::integer);
END
$function$;

COMMENT ON FUNCTION auth.prove_account(uuid,uuid,bytea,integer,bytea,integer) IS
  'Uses the signed-in user''s reauth code (sent to their current verified phone) and stores a one-time proof of the account (SHA-256 given), valid until p_proof_ttl_seconds (reauth_seconds) after the code was asked for, and only for that user and while that phone is still theirs: what a sensitive change accepts instead of the current password. Returns {outcome: proven, expires_in}, {outcome: wrong, attempts_left}, {outcome: invalid} or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.prove_account(uuid,uuid,bytea,integer,bytea,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.prove_account(uuid,uuid,bytea,integer,bytea,integer) TO auth_service;
