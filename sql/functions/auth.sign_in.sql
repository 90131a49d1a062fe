CREATE OR REPLACE FUNCTION auth.sign_in(p_user_id uuid, p_checked_password_hash text, p_refresh_seed bytea, p_ttl_seconds integer, p_max_sessions integer, p_user_agent text, p_client_ip text, p_retention_days integer, p_may_evict boolean)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_current      text;
  v_retention_at timestamptz;
  v_opened       jsonb;
BEGIN
  -- The same lock a password change takes: one or the other goes first.
  SELECT password_hash, retention_run_at INTO v_current, v_retention_at FROM accounts.users
  WHERE id = p_user_id AND is_active FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'user_inactive');
  END IF;
  IF v_current IS DISTINCT FROM p_checked_password_hash THEN
    RETURN jsonb_build_object('outcome', 'credentials_changed');
  END IF;
  -- A second factor turned on since the credentials were read (under the
  -- lock its confirmation takes): the password alone opens nothing.
  IF EXISTS (SELECT FROM auth.mfa_totp WHERE user_id = p_user_id AND confirmed_at IS NOT NULL) THEN
    RETURN jsonb_build_object('outcome', 'second_factor_required');
  END IF;
  -- Retention at most once a day per user: off the hot path of a user who
  -- signs in often (auth.purge covers everyone).
  IF v_retention_at IS NULL OR v_retention_at < now() - interval '1 day' THEN
    PERFORM auth.purge_user(p_user_id, p_retention_days);
    UPDATE accounts.users SET retention_run_at = now() WHERE id = p_user_id;
  END IF;
  IF NOT p_may_evict AND (SELECT count(*) FROM auth.sessions
                          WHERE user_id = p_user_id AND revoked_at IS NULL
                            AND expires_at > now()) >= p_max_sessions THEN
    RETURN jsonb_build_object('outcome', 'at_session_limit');
  END IF;
  v_opened := auth.open_session(p_user_id, p_refresh_seed, p_ttl_seconds, p_max_sessions,
                                p_user_agent, p_client_ip, '{pwd}');
  IF v_opened->>'outcome' = 'opened' THEN
    v_opened := v_opened || jsonb_build_object('seconds_left',
      floor(extract(epoch FROM (v_opened->>'expires_at')::timestamptz - now()))::bigint);
  END IF;
  RETURN v_opened;
END
$function$;

COMMENT ON FUNCTION auth.sign_in(uuid,text,bytea,integer,integer,text,text,integer,boolean) IS
  'Opens a session after a password check, if the hash checked (p_checked_password_hash, as find_credentials gave it) is still the user''s under the row lock, after the user''s retention (auth.purge_user) if it has not run for a day. Returns open_session''s outcome (opened, with seconds_left until the session''s absolute expiry | user_inactive), {outcome: credentials_changed}, {outcome: second_factor_required} (turned on since the credentials were read), or, when the user already has p_max_sessions active sessions and not p_may_evict, {outcome: at_session_limit} having opened nothing (the caller signs in again, allowing the eviction, in a transaction that tells Redis before it commits).';

REVOKE ALL ON FUNCTION auth.sign_in(uuid,text,bytea,integer,integer,text,text,integer,boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.sign_in(uuid,text,bytea,integer,integer,text,text,integer,boolean) TO auth_service;
