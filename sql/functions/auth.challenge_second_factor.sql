CREATE OR REPLACE FUNCTION auth.challenge_second_factor(p_user_id uuid, p_checked_password_hash text, p_token_digest bytea, p_ttl_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_current text;
BEGIN
  -- The lock a password change takes: the hash checked is still current.
  SELECT password_hash INTO v_current FROM accounts.users
  WHERE id = p_user_id AND is_active FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'user_inactive');
  END IF;
  IF v_current IS DISTINCT FROM p_checked_password_hash THEN
    RETURN jsonb_build_object('outcome', 'credentials_changed');
  END IF;
  INSERT INTO auth.mfa_challenges (token_digest, user_id, first_factor, expires_at)
  VALUES (p_token_digest, p_user_id, 'pwd', now() + make_interval(secs => p_ttl_seconds));
  RETURN jsonb_build_object('outcome', 'challenged');
END
$function$;

COMMENT ON FUNCTION auth.challenge_second_factor(uuid,text,bytea,integer) IS
  'After a right password of a user with a second factor: stores the challenge (p_token_digest, the SHA-256 of the mfa_token handed out, valid p_ttl_seconds) if the hash checked is still the user''s. Returns {outcome: challenged}, {outcome: user_inactive} or {outcome: credentials_changed}.';

REVOKE ALL ON FUNCTION auth.challenge_second_factor(uuid,text,bytea,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.challenge_second_factor(uuid,text,bytea,integer) TO auth_service;
