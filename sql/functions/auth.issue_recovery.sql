CREATE OR REPLACE FUNCTION auth.issue_recovery(p_user_id uuid, p_phone text, p_code_digest bytea, p_code_ttl_seconds integer, p_resend_seconds integer, p_links jsonb, p_link_ttl_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_phone  text;
  v_emails jsonb;
BEGIN
  IF NOT EXISTS (SELECT FROM accounts.users WHERE id = p_user_id AND is_active) THEN
    RETURN jsonb_build_object('outcome', 'issued', 'phone', NULL, 'emails', '[]'::jsonb);
  END IF;
  IF p_phone IS NOT NULL AND EXISTS (
       SELECT FROM accounts.contacts
       WHERE user_id = p_user_id AND contact_type = 'phone' AND value = p_phone
         AND is_active AND verified_at IS NOT NULL) THEN
    -- One current recover code per phone and account; a new one replaces
    -- it once the resend delay has passed (else nothing is sent).
    INSERT INTO auth.otp_codes AS c (phone, purpose, user_id, code_digest, expires_at)
    VALUES (p_phone, 'recover', p_user_id, p_code_digest,
            now() + make_interval(secs => p_code_ttl_seconds))
    ON CONFLICT (phone, purpose, owner) DO UPDATE
      SET code_digest = excluded.code_digest, attempts = 0, created_at = now(),
          expires_at = excluded.expires_at, used_at = NULL
      WHERE c.created_at <= now() - make_interval(secs => p_resend_seconds)
    RETURNING c.phone INTO v_phone;
  END IF;
  WITH stored AS (
    INSERT INTO auth.email_links (token_digest, purpose, user_id, email, expires_at)
    SELECT decode(l.digest, 'hex'), 'recover', p_user_id, l.email,
           now() + make_interval(secs => p_link_ttl_seconds)
    FROM jsonb_to_recordset(p_links) AS l(email text, digest text)
    WHERE EXISTS (SELECT FROM accounts.contacts c
                  WHERE c.user_id = p_user_id AND c.contact_type = 'email' AND c.value = l.email
                    AND c.is_active AND c.verified_at IS NOT NULL)
    RETURNING email)
  SELECT coalesce(jsonb_agg(email), '[]'::jsonb) INTO v_emails FROM stored;
  RETURN jsonb_build_object('outcome', 'issued', 'phone', v_phone, 'emails', v_emails);
END
$function$;

COMMENT ON FUNCTION auth.issue_recovery(uuid,text,bytea,integer,integer,jsonb,integer) IS
  'Stores what a recovery request sends, for an active user: a recover code (keyed digest, valid p_code_ttl_seconds) for p_phone if it is still their verified phone and p_resend_seconds have passed since the last one, and a recover link (SHA-256 of its token, valid p_link_ttl_seconds) for each of p_links ([{email, digest}], digest in hex) whose email is still a verified email of theirs. Returns {outcome: issued, phone (the code to send, or null), emails (the links to send)}.';

REVOKE ALL ON FUNCTION auth.issue_recovery(uuid,text,bytea,integer,integer,jsonb,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.issue_recovery(uuid,text,bytea,integer,integer,jsonb,integer) TO auth_service;
