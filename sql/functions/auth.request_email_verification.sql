CREATE OR REPLACE FUNCTION auth.request_email_verification(p_user_id uuid, p_session_id uuid, p_email text, p_token_digest bytea, p_ttl_seconds integer, p_resend_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_contact accounts.contacts;
  v_last    timestamptz;
  v_held    boolean;
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  SELECT * INTO v_contact FROM accounts.contacts
  WHERE contact_type = 'email' AND value = p_email AND is_active;
  v_held := FOUND;
  IF v_held AND v_contact.user_id = p_user_id AND v_contact.verified_at IS NOT NULL THEN
    RETURN jsonb_build_object('outcome', 'already_verified');
  END IF;
  -- The user's own unverified email, or one they claimed (another account
  -- holds it unverified, and the user's claim link still lives).
  IF NOT (v_held AND v_contact.verified_at IS NULL
          AND (v_contact.user_id = p_user_id
               OR EXISTS (SELECT FROM auth.email_links
                          WHERE user_id = p_user_id AND purpose = 'verify_email'
                            AND email = p_email AND used_at IS NULL
                            AND expires_at > now()))) THEN
    RETURN jsonb_build_object('outcome', 'not_yours');
  END IF;
  SELECT max(created_at) INTO v_last FROM auth.email_links
  WHERE user_id = p_user_id AND purpose = 'verify_email' AND email = p_email;
  IF v_last > now() - make_interval(secs => p_resend_seconds) THEN
    RETURN jsonb_build_object('outcome', 'too_soon', 'retry_after',
      greatest(1, ceil(extract(epoch FROM v_last + make_interval(secs => p_resend_seconds) - now())))::integer);
  END IF;
  INSERT INTO auth.email_links (token_digest, purpose, user_id, email, expires_at)
  VALUES (p_token_digest, 'verify_email', p_user_id, p_email,
          now() + make_interval(secs => p_ttl_seconds));
  RETURN jsonb_build_object('outcome', 'issued', 'claim', v_contact.user_id <> p_user_id);
END
$function$;

COMMENT ON FUNCTION auth.request_email_verification(uuid,uuid,text,bytea,integer,integer) IS
  'A new verify_email link (p_token_digest: SHA-256 of its token, valid p_ttl_seconds) for the signed-in user''s unverified email, or one they claimed (another account holds it unverified; their claim link unused and unexpired), once p_resend_seconds have passed since their last link for it. Returns {outcome: issued, claim (the link claims an address another account holds)}, {outcome: too_soon, retry_after}, {outcome: already_verified}, {outcome: not_yours} or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.request_email_verification(uuid,uuid,text,bytea,integer,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.request_email_verification(uuid,uuid,text,bytea,integer,integer) TO auth_service;
