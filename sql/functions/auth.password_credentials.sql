CREATE OR REPLACE FUNCTION auth.password_credentials(p_user_id uuid, p_session_id uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_credentials jsonb;
BEGIN
  SELECT jsonb_build_object(
    'password_hash', u.password_hash,
    'identifiers', coalesce((SELECT jsonb_agg(c.value) FROM accounts.contacts c
                             WHERE c.user_id = u.id AND c.is_active), '[]'::jsonb)) INTO v_credentials
  FROM accounts.users u
  WHERE u.id = p_user_id AND auth.session_is_active(p_user_id, p_session_id);
  RETURN v_credentials;
END
$function$;

COMMENT ON FUNCTION auth.password_credentials(uuid,uuid) IS
  'For a password change: {password_hash, identifiers (active contact values)}; NULL if the session is not active.';

REVOKE ALL ON FUNCTION auth.password_credentials(uuid,uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.password_credentials(uuid,uuid) TO auth_service;
