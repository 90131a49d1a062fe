CREATE OR REPLACE FUNCTION auth.insert_session(p_user_id uuid, p_refresh_seed bytea, p_ttl_seconds integer, p_user_agent text, p_client_ip text, p_amr text[], p_organization_ids uuid[])
 RETURNS auth.sessions
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_session auth.sessions;
BEGIN
  -- One row, written whole: its refresh tokens carry the seed (migration
  -- 0035), of which only the digest is stored; nothing per token is.
  INSERT INTO auth.sessions (user_id, expires_at, user_agent, client_ip, refresh_seed_digest,
                             amr, organization_ids)
  VALUES (p_user_id, now() + make_interval(secs => p_ttl_seconds),
          left(p_user_agent, 512), nullif(p_client_ip, '')::inet, sha256(p_refresh_seed), p_amr,
          p_organization_ids)
  RETURNING * INTO v_session;
  RETURN v_session;
END
$function$;

COMMENT ON FUNCTION auth.insert_session(uuid,bytea,integer,text,text,text[],uuid[]) IS
  'Writes a session (generation 0 of its refresh tokens, p_refresh_seed the per-session value they carry, stored as its SHA-256; p_amr how it was opened; p_organization_ids what its tokens name), nothing else: auth.open_session locks the user and evicts first; a registration, whose user is new, calls it directly.';

REVOKE ALL ON FUNCTION auth.insert_session(uuid,bytea,integer,text,text,text[],uuid[]) FROM PUBLIC;
