CREATE OR REPLACE FUNCTION auth.reset_password(p_user_id uuid, p_phone text, p_code_digest bytea, p_token_digest bytea, p_max_attempts integer, p_password_hash text)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
  v_via        text;
  v_used_email text;
  v_event      auth.outbox;
BEGIN
  -- The user's changes take turns on the user row.
  PERFORM FROM accounts.users WHERE id = p_user_id AND is_active FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  IF p_token_digest IS NOT NULL THEN
    UPDATE auth.email_links l SET used_at = now()
    WHERE l.token_digest = p_token_digest AND l.purpose = 'recover' AND l.user_id = p_user_id
      AND l.used_at IS NULL AND l.expires_at > now()
      AND EXISTS (SELECT FROM accounts.contacts c
                  WHERE c.user_id = p_user_id AND c.contact_type = 'email' AND c.value = l.email
                    AND c.is_active AND c.verified_at IS NOT NULL)
    RETURNING l.email INTO v_used_email;
    IF NOT FOUND THEN
      RETURN jsonb_build_object('outcome', 'invalid');
    END IF;
    v_via := 'email';
  ELSE
    IF NOT EXISTS (SELECT FROM accounts.contacts
                   WHERE user_id = p_user_id AND contact_type = 'phone' AND value = p_phone
                     AND is_active AND verified_at IS NOT NULL)
       OR auth.use_otp(p_phone, 'recover', p_user_id, p_code_digest, p_max_attempts)->>'outcome'
          IS DISTINCT FROM 'used' THEN
      RETURN jsonb_build_object('outcome', 'invalid');
    END IF;
    v_via := 'sms';
  END IF;

  UPDATE accounts.users SET password_hash = p_password_hash, updated_at = now()
  WHERE id = p_user_id;
  -- Whoever held a session may be who took the account: every one ends.
  UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'password_reset'
  WHERE user_id = p_user_id AND revoked_at IS NULL;
  -- The other ways back this request opened are spent with it.
  UPDATE auth.otp_codes SET used_at = now()
  WHERE user_id = p_user_id AND purpose = 'recover' AND used_at IS NULL;
  UPDATE auth.email_links SET used_at = now()
  WHERE user_id = p_user_id AND purpose = 'recover' AND used_at IS NULL;
  -- A second step begun with the old credentials completes nothing.
  DELETE FROM auth.mfa_challenges WHERE user_id = p_user_id;
  v_event := auth.write_event('password.reset', p_user_id,
    jsonb_build_object('user_id', p_user_id, 'via', v_via, 'reset_at', now()));

  RETURN jsonb_build_object(
    'outcome', 'reset',
    'logins', coalesce((SELECT jsonb_agg(value) FROM accounts.contacts
                        WHERE user_id = p_user_id AND is_active), '[]'::jsonb),
    'events', jsonb_build_array(auth.outbox_message(v_event)))
    -- The account's other verified channels are told.
    || auth.verified_channels(p_user_id, v_via = 'email', v_used_email);
END
$function$;

COMMENT ON FUNCTION auth.reset_password(uuid,text,bytea,bytea,integer,text) IS
  'Completes a recovery for p_user_id (as auth.check_recovery found it): spends the recover link (p_token_digest) or code (p_phone, p_code_digest, still their verified phone), sets the new bcrypt hash, ends every session of the user (password_reset), spends their other recover codes and links, and writes the password.reset outbox event, in the caller''s transaction. Returns {outcome: reset, logins (active contact values, whose lockouts are cleared), notify_phone, notify_emails (the other verified channels to tell), events} or {outcome: invalid} (spent, expired, or no longer theirs since the check).';

REVOKE ALL ON FUNCTION auth.reset_password(uuid,text,bytea,bytea,integer,text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.reset_password(uuid,text,bytea,bytea,integer,text) TO auth_service;
