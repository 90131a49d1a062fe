CREATE OR REPLACE FUNCTION auth.use_otp(p_phone text, p_purpose text, p_user_id uuid, p_code_digest bytea, p_max_attempts integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_code      auth.otp_codes;
BEGIN
  -- The row lock makes parallel tries of one code take turns: exactly one
  -- right try uses it.
  -- A code asked for by a signed-in user (verify_phone, reauth) is theirs
  -- alone: anyone else trying it finds nothing, and spends nothing of it.
  SELECT * INTO v_code FROM auth.otp_codes
  WHERE phone = p_phone AND purpose = p_purpose
    AND owner = coalesce(p_user_id, '00000000-0000-0000-0000-000000000000'::uuid)
  FOR UPDATE;
  IF NOT FOUND OR v_code.used_at IS NOT NULL OR v_code.expires_at <= now()
     OR v_code.attempts >= p_max_attempts OR octet_length(p_code_digest) <> 32 THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  IF NOT auth.same_digest(v_code.code_digest, p_code_digest) THEN
    UPDATE auth.otp_codes SET attempts = attempts + 1
    WHERE phone = v_code.phone AND purpose = v_code.purpose AND owner = v_code.owner;
    RETURN jsonb_build_object('outcome', 'wrong',
                              'attempts_left', greatest(0, p_max_attempts - v_code.attempts - 1));
  END IF;
  UPDATE auth.otp_codes SET used_at = now()
  WHERE phone = v_code.phone AND purpose = v_code.purpose AND owner = v_code.owner;
  RETURN jsonb_build_object('outcome', 'used', 'asked_at', v_code.created_at);
END
$function$;

COMMENT ON FUNCTION auth.use_otp(text,text,uuid,bytea,integer) IS
  'Tries a code (its keyed digest) of a phone and purpose under the row lock, comparing in constant time; a code asked for by a signed-in user (verify_phone, reauth) only for that user (p_user_id, NULL for the anonymous purposes). Returns {outcome: used, asked_at} (it is spent; asked_at: when it was asked for), {outcome: wrong, attempts_left} (counted) or {outcome: invalid} (none, someone else''s, used, expired or out of attempts).';

REVOKE ALL ON FUNCTION auth.use_otp(text,text,uuid,bytea,integer) FROM PUBLIC;
