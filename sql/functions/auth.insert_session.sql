CREATE OR REPLACE FUNCTION auth.insert_session(p_user_id uuid, p_refresh_token_hash bytea, p_ttl_seconds integer, p_user_agent text, p_client_ip text)
 RETURNS auth.sessions
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_session auth.sessions;
BEGIN
  INSERT INTO auth.sessions (user_id, expires_at, user_agent, client_ip)
  VALUES (p_user_id, now() + make_interval(secs => p_ttl_seconds),
          left(p_user_agent, 512), nullif(p_client_ip, '')::inet)
  RETURNING * INTO v_session;

  INSERT INTO auth.refresh_tokens (token_hash, session_id)
  VALUES (p_refresh_token_hash, v_session.id);
  RETURN v_session;
END
$function$;

COMMENT ON FUNCTION auth.insert_session(uuid,bytea,integer,text,text) IS
  'Writes a session and its first refresh token (SHA-256 given), nothing else: auth.open_session locks the user and evicts first; a registration, whose user is new, calls it directly.';

REVOKE ALL ON FUNCTION auth.insert_session(uuid,bytea,integer,text,text) FROM PUBLIC;
