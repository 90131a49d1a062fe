CREATE OR REPLACE FUNCTION auth.verify_email(p_token_digest bytea)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_link     auth.email_links;
  v_holder   accounts.contacts;
  v_taken    accounts.contacts;
BEGIN
  SELECT * INTO v_link FROM auth.email_links
  WHERE token_digest = p_token_digest AND purpose = 'verify_email'
  FOR UPDATE;
  IF NOT FOUND OR v_link.used_at IS NOT NULL OR v_link.expires_at <= now()
     OR NOT EXISTS (SELECT FROM accounts.users WHERE id = v_link.user_id AND is_active) THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  -- The user's contacts change under their row lock, as every sensitive
  -- change does.
  PERFORM FROM accounts.users WHERE id = v_link.user_id FOR UPDATE;
  SELECT * INTO v_holder FROM accounts.contacts
  WHERE contact_type = 'email' AND value = v_link.email AND is_active
  FOR UPDATE;
  IF v_holder.id IS NOT NULL AND v_holder.user_id <> v_link.user_id AND v_holder.verified_at IS NOT NULL THEN
    -- Someone proved it first: a verified owner keeps it.
    RETURN jsonb_build_object('outcome', 'taken');
  END IF;
  -- Every link of this user for this address is spent: one proof is enough.
  UPDATE auth.email_links SET used_at = now()
  WHERE user_id = v_link.user_id AND email = v_link.email AND purpose = 'verify_email'
    AND used_at IS NULL;
  IF v_holder.id IS NOT NULL AND v_holder.user_id = v_link.user_id THEN
    UPDATE accounts.contacts SET verified_at = coalesce(verified_at, now()) WHERE id = v_holder.id;
    RETURN jsonb_build_object('outcome', 'verified', 'user_id', v_link.user_id,
                              'email', v_link.email, 'taken_from', NULL);
  END IF;
  IF v_holder.id IS NOT NULL THEN
    -- Held unverified by another account: it ends there, kept as history
    -- (SPEC §2).
    UPDATE accounts.contacts SET is_active = false, deactivated_at = now()
    WHERE id = v_holder.id
    RETURNING * INTO v_taken;
    UPDATE accounts.users SET updated_at = now() WHERE id = v_taken.user_id;
  END IF;
  -- A claimant who proved it a moment earlier (in a transaction this one
  -- did not see) holds it now: verified first, theirs.
  INSERT INTO accounts.contacts (user_id, contact_type, value, verified_at)
  VALUES (v_link.user_id, 'email', v_link.email, now())
  ON CONFLICT (contact_type, value) WHERE is_active DO NOTHING;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'taken');
  END IF;
  UPDATE accounts.users SET updated_at = now() WHERE id = v_link.user_id;
  RETURN jsonb_build_object('outcome', 'verified', 'user_id', v_link.user_id,
                            'email', v_link.email, 'taken_from', v_taken.user_id);
END
$function$;

COMMENT ON FUNCTION auth.verify_email(bytea) IS
  'Follows a verify_email link (p_token_digest: SHA-256 of its token; unused, unexpired, its user active): the address becomes a verified email of the link''s user, taken from an account that held it unverified (that contact ended, kept as history), and every verify_email link of that user for it is spent. Returns {outcome: verified, user_id, email, taken_from (the account that lost it, or null)}, {outcome: taken} (someone holds it verified) or {outcome: invalid}.';

REVOKE ALL ON FUNCTION auth.verify_email(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.verify_email(bytea) TO auth_service;
