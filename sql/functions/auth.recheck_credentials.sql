CREATE OR REPLACE FUNCTION auth.recheck_credentials(p_user_id uuid, p_session_id uuid, p_checked_password_hash text)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_current text;
BEGIN
  SELECT password_hash INTO v_current FROM accounts.users WHERE id = p_user_id FOR UPDATE;
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  IF v_current IS DISTINCT FROM p_checked_password_hash THEN
    -- Another change committed since the password was verified.
    RETURN jsonb_build_object('outcome', 'credentials_changed');
  END IF;
  RETURN NULL;
END
$function$;

COMMENT ON FUNCTION auth.recheck_credentials(uuid,uuid,text) IS
  'Under the user''s row lock: NULL when the session is active and p_checked_password_hash is still the user''s, else {outcome: session_inactive} or {outcome: credentials_changed}.';

REVOKE ALL ON FUNCTION auth.recheck_credentials(uuid,uuid,text) FROM PUBLIC;
