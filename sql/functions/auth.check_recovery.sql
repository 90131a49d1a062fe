CREATE OR REPLACE FUNCTION auth.check_recovery(p_phone text, p_code_digest bytea, p_token_digest bytea, p_max_attempts integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_user_id   uuid;
  v_code      auth.otp_codes;
BEGIN
  IF p_token_digest IS NOT NULL THEN
    SELECT l.user_id INTO v_user_id
    FROM auth.email_links l JOIN accounts.users u ON u.id = l.user_id AND u.is_active
    WHERE l.token_digest = p_token_digest AND l.purpose = 'recover' AND l.used_at IS NULL
      AND l.expires_at > now()
      AND EXISTS (SELECT FROM accounts.contacts c
                  WHERE c.user_id = l.user_id AND c.contact_type = 'email' AND c.value = l.email
                    AND c.is_active AND c.verified_at IS NOT NULL);
  ELSE
    -- The code of the account that holds the phone verified now: a phone
    -- that changed hands since recovers nobody.
    SELECT o.* INTO v_code
    FROM auth.otp_codes o
    JOIN accounts.contacts c ON c.contact_type = 'phone' AND c.value = o.phone
                            AND c.user_id = o.user_id AND c.is_active AND c.verified_at IS NOT NULL
    JOIN accounts.users u ON u.id = o.user_id AND u.is_active
    WHERE o.phone = p_phone AND o.purpose = 'recover'
    FOR UPDATE OF o;
    IF NOT FOUND OR v_code.used_at IS NOT NULL OR v_code.expires_at <= now()
       OR v_code.attempts >= p_max_attempts OR octet_length(p_code_digest) IS DISTINCT FROM 32 THEN
      RETURN jsonb_build_object('outcome', 'invalid');
    END IF;
    IF NOT auth.same_digest(v_code.code_digest, p_code_digest) THEN
      UPDATE auth.otp_codes SET attempts = attempts + 1
      WHERE phone = v_code.phone AND purpose = v_code.purpose AND owner = v_code.owner;
      RETURN jsonb_build_object('outcome', 'wrong',
                                'attempts_left', greatest(0, p_max_attempts - v_code.attempts - 1));
    END IF;
    v_user_id := v_code.user_id;
  END IF;
  IF v_user_id IS NULL THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  RETURN jsonb_build_object('outcome', 'valid', 'user_id', v_user_id,
    'identifiers', coalesce((SELECT jsonb_agg(value) FROM accounts.contacts
                             WHERE user_id = v_user_id AND is_active), '[]'::jsonb));
END
$function$;

COMMENT ON FUNCTION auth.check_recovery(text,bytea,bytea,integer) IS
  'Checks a recovery proof without spending it: a recover link (p_token_digest: SHA-256 of its token; unused, unexpired, its email still a verified one of an active user), or else a recover code of p_phone (keyed digest; the code of the account holding the phone verified, unused, unexpired, under p_max_attempts tries; compared in constant time, a wrong try counted). Returns {outcome: valid, user_id, identifiers (active contact values, which the new password may not equal)}, {outcome: wrong, attempts_left} or {outcome: invalid}. auth.reset_password spends it.';

REVOKE ALL ON FUNCTION auth.check_recovery(text,bytea,bytea,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.check_recovery(text,bytea,bytea,integer) TO auth_service;
