CREATE OR REPLACE FUNCTION auth.open_session(p_user_id uuid, p_refresh_seed bytea, p_ttl_seconds integer, p_max_sessions integer, p_user_agent text, p_client_ip text, p_amr text[])
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
  v_session auth.sessions;
  v_orgs    uuid[];
  v_evicted uuid[];
BEGIN
  IF p_ttl_seconds <= 0 OR p_max_sessions <= 0 THEN
    -- A configuration bug, not something a client can cause.
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = 'session lifetime and session limit must be positive';
  END IF;

  -- One sign-in at a time per user, so the session limit holds under concurrency.
  PERFORM 1 FROM accounts.users WHERE id = p_user_id AND is_active FOR UPDATE;
  IF NOT FOUND THEN
    -- Deactivated (or deleted) between the password check and now.
    RETURN jsonb_build_object('outcome', 'user_inactive');
  END IF;

  -- Keep room for the new session: evict the oldest beyond the limit.
  WITH evicted AS (
    UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'evicted'
    WHERE id IN (
      SELECT id FROM auth.sessions
      WHERE user_id = p_user_id AND revoked_at IS NULL AND expires_at > now()
      ORDER BY created_at DESC, id DESC
      OFFSET p_max_sessions - 1
    )
    RETURNING id)
  SELECT coalesce(array_agg(id), '{}') INTO v_evicted FROM evicted;

  -- Under the user's lock, which ending a membership takes too.
  v_orgs := accounts.user_organizations(p_user_id);
  v_session := auth.insert_session(p_user_id, p_refresh_seed, p_ttl_seconds,
                                   p_user_agent, p_client_ip, p_amr, v_orgs);

  RETURN jsonb_build_object(
    'outcome', 'opened',
    'session_id', v_session.id,
    'expires_at', v_session.expires_at,
    'roles', to_jsonb(accounts.user_roles(p_user_id)),
    'organizations', to_jsonb(v_orgs),
    -- What the caller tells Redis before it commits.
    'evicted', to_jsonb(v_evicted)
  );
END
$function$;

COMMENT ON FUNCTION auth.open_session(uuid,bytea,integer,integer,text,text,text[]) IS
  'Opens a session (p_refresh_seed: the per-session value of its refresh tokens; p_amr: how it was opened), evicting the oldest sessions beyond p_max_sessions. The session remembers the organizations its tokens name. Returns {outcome: opened, session_id, expires_at, roles, organizations, evicted (the sessions it ended)} or {outcome: user_inactive}.';

REVOKE ALL ON FUNCTION auth.open_session(uuid,bytea,integer,integer,text,text,text[]) FROM PUBLIC;
