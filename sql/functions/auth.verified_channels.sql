CREATE OR REPLACE FUNCTION auth.verified_channels(p_user_id uuid, p_with_phone boolean, p_except_email text)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  RETURN jsonb_build_object(
    'notify_phone', CASE WHEN p_with_phone THEN
                      (SELECT value FROM accounts.contacts
                       WHERE user_id = p_user_id AND contact_type = 'phone' AND is_active
                         AND verified_at IS NOT NULL) END,
    'notify_emails', coalesce((SELECT jsonb_agg(value) FROM accounts.contacts
                               WHERE user_id = p_user_id AND contact_type = 'email' AND is_active
                                 AND verified_at IS NOT NULL
                                 AND value IS DISTINCT FROM p_except_email), '[]'::jsonb));
END
$function$;

COMMENT ON FUNCTION auth.verified_channels(uuid,boolean,text) IS
  'The verified channels a change of the account is told on: {notify_phone (its verified phone, when p_with_phone; else null), notify_emails (its verified emails but p_except_email)}.';

REVOKE ALL ON FUNCTION auth.verified_channels(uuid,boolean,text) FROM PUBLIC;
