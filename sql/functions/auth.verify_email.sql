CREATE OR REPLACE FUNCTION auth.verify_email(p_token_digest bytea, p_user_id uuid, p_session_id uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_link    auth.email_links;
  v_holder  accounts.contacts;
  v_taken   accounts.contacts;
  v_claim   boolean;
BEGIN
  -- The user row first, the link after: the order every change of the
  -- user's contacts takes (auth.remove_contact), so two never deadlock.
  SELECT * INTO v_link FROM auth.email_links
  WHERE token_digest = p_token_digest AND purpose = 'verify_email';
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  PERFORM FROM accounts.users WHERE id = v_link.user_id AND is_active FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  SELECT * INTO v_link FROM auth.email_links
  WHERE token_digest = p_token_digest FOR UPDATE;
  IF v_link.used_at IS NOT NULL OR v_link.expires_at <= now() THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  SELECT * INTO v_holder FROM accounts.contacts
  WHERE contact_type = 'email' AND value = v_link.email AND is_active
  FOR UPDATE;
  IF v_holder.id IS NOT NULL AND v_holder.user_id <> v_link.user_id
     AND v_holder.verified_at IS NOT NULL THEN
    -- Someone proved it first: a verified owner keeps it.
    RETURN jsonb_build_object('outcome', 'taken');
  END IF;
  -- A claim (the address is not the link's user's): it moves the address
  -- to that account, so only that account, signed in, completes it. Whoever
  -- else opens the link (the holder, tricked into it) changes nothing.
  v_claim := v_holder.id IS NULL OR v_holder.user_id <> v_link.user_id;
  IF v_claim AND (p_user_id IS DISTINCT FROM v_link.user_id
                  OR NOT auth.session_is_active(p_user_id, p_session_id)) THEN
    RETURN jsonb_build_object('outcome', 'sign_in_required');
  END IF;
  -- Opened signed in to another account: whoever holds this address is
  -- not the one verifying it for the link's account (a squatter's link
  -- clicked by the owner would make the squatter's hold permanent).
  IF p_user_id IS NOT NULL AND p_user_id <> v_link.user_id THEN
    RETURN jsonb_build_object('outcome', 'another_account');
  END IF;
  -- Every link of this user for this address is spent: one proof is enough.
  UPDATE auth.email_links SET used_at = now()
  WHERE user_id = v_link.user_id AND email = v_link.email AND purpose = 'verify_email'
    AND used_at IS NULL;
  IF NOT v_claim THEN
    UPDATE accounts.contacts SET verified_at = coalesce(verified_at, now()) WHERE id = v_holder.id;
    RETURN jsonb_build_object('outcome', 'verified', 'user_id', v_link.user_id,
                              'email', v_link.email, 'taken_from', NULL, 'claimed', false);
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
  -- A new way to sign in: the claimant's other sessions end (SPEC §2).
  UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'contact_changed'
  WHERE user_id = v_link.user_id AND id <> p_session_id AND revoked_at IS NULL;
  RETURN jsonb_build_object('outcome', 'verified', 'user_id', v_link.user_id,
                            'email', v_link.email, 'taken_from', v_taken.user_id,
                            'claimed', true);
END
$function$;

COMMENT ON FUNCTION auth.verify_email(bytea,uuid,uuid) IS
  'Follows a verify_email link (p_token_digest: SHA-256 of its token; unused, unexpired, its user active). For an address the link''s user holds, it becomes verified, for whoever opened the link. For a claim (the address is held unverified by another account, or by nobody now) only the link''s user, signed in (p_user_id, p_session_id), completes it: the address becomes their verified email, taken from the account that held it unverified (that contact ended, kept as history), and their other sessions end. Every verify_email link of that user for the address is spent. Returns {outcome: verified, user_id, email, taken_from (or null), claimed}, {outcome: sign_in_required} (a claim opened by anyone else: nothing changed), {outcome: another_account} (opened signed in to another account: nothing changed), {outcome: taken} (someone holds it verified) or {outcome: invalid}.';

REVOKE ALL ON FUNCTION auth.verify_email(bytea,uuid,uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.verify_email(bytea,uuid,uuid) TO auth_service;
