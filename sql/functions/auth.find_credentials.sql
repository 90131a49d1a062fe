CREATE OR REPLACE FUNCTION auth.find_credentials(p_contact_type text, p_value text)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_found jsonb;
BEGIN
  SELECT jsonb_build_object('user_id', u.id, 'password_hash', u.password_hash,
                            'second_factor', EXISTS (SELECT FROM auth.mfa_totp t
                                                     WHERE t.user_id = u.id
                                                       AND t.confirmed_at IS NOT NULL),
                            -- A user at the session cap signs in by the path
                            -- that evicts (and tells Redis) at once.
                            'active_sessions', (SELECT count(*) FROM auth.sessions s
                                                WHERE s.user_id = u.id AND s.revoked_at IS NULL
                                                  AND s.expires_at > now()))
  INTO v_found
  FROM accounts.contacts c
  JOIN accounts.users u ON u.id = c.user_id
  WHERE c.contact_type = p_contact_type AND c.value = p_value AND c.is_active AND u.is_active;
  RETURN v_found;
END
$function$;

COMMENT ON FUNCTION auth.find_credentials(text,text) IS
  'The active user owning an active contact (normalized value): {user_id, password_hash, second_factor (whether a TOTP second factor is on), active_sessions (open and unexpired)}, or NULL.';

REVOKE ALL ON FUNCTION auth.find_credentials(text,text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.find_credentials(text,text) TO auth_service;
