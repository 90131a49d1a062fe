CREATE OR REPLACE FUNCTION auth.rotate_refresh_token(p_token_hash bytea, p_new_token_hash bytea, p_grace_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_orgs    uuid[];
  v_token   auth.refresh_tokens;
  v_session auth.sessions;
  v_outcome text;
BEGIN
  -- The row lock makes concurrent refreshes of one token take turns: the
  -- first rotates it, the others then see it consumed (no check-then-update race).
  SELECT * INTO v_token FROM auth.refresh_tokens WHERE token_hash = p_token_hash FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  SELECT * INTO v_session FROM auth.sessions WHERE id = v_token.session_id FOR UPDATE;
  IF v_session.revoked_at IS NOT NULL OR v_session.expires_at <= now()
     OR NOT auth.session_is_active(v_session.user_id, v_session.id) THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;

  IF v_session.reuse_detected_at IS NOT NULL THEN
    -- A replay was seen in this session and its end has not reached this
    -- table yet (Redis could not be told, or the end failed): any token of
    -- the session, the successor included, reports it again, so the next
    -- use of the session ends it.
    RETURN jsonb_build_object('outcome', 'reuse_detected', 'session_id', v_session.id,
                              'user_id', v_session.user_id);
  ELSIF v_token.consumed_at IS NULL THEN
    UPDATE auth.refresh_tokens SET consumed_at = now(), replaced_by = p_new_token_hash
    WHERE token_hash = p_token_hash;
    v_outcome := 'rotated';
  ELSIF v_token.consumed_at > now() - make_interval(secs => p_grace_seconds) THEN
    -- Another tab refreshed with the same token a moment ago: a fresh pair
    -- for the same session, not an attack.
    v_outcome := 'concurrent';
  ELSE
    -- A consumed token presented after the grace: stolen and replayed, or
    -- the thief already used it. Either way the session is compromised. It
    -- is marked, not ended: Redis hears first, then auth.end_reused_session.
    UPDATE auth.sessions SET reuse_detected_at = now() WHERE id = v_session.id;
    RETURN jsonb_build_object('outcome', 'reuse_detected', 'session_id', v_session.id,
                              'user_id', v_session.user_id);
  END IF;

  INSERT INTO auth.refresh_tokens (token_hash, session_id) VALUES (p_new_token_hash, v_session.id);
  -- Read under the session's lock, which ending a membership takes first:
  -- a successor never names an organization whose membership has ended.
  v_orgs := accounts.user_organizations(v_session.user_id);
  UPDATE auth.sessions SET last_used_at = now(), organization_ids = v_orgs WHERE id = v_session.id;
  RETURN jsonb_build_object(
    'outcome', v_outcome,
    'session_id', v_session.id,
    'user_id', v_session.user_id,
    'roles', to_jsonb(accounts.user_roles(v_session.user_id)),
    'organizations', to_jsonb(v_orgs),
    'amr', to_jsonb(v_session.amr),
    'seconds_left', floor(extract(epoch FROM v_session.expires_at - now()))::bigint);
END
$function$;

COMMENT ON FUNCTION auth.rotate_refresh_token(bytea,bytea,integer) IS
  'Consumes a refresh token (SHA-256 given) and stores its successor in the same session, atomically. '
  'Returns {outcome: rotated | concurrent | reuse_detected | invalid, session_id, user_id, roles, organizations, amr (how the session was opened), '
  'seconds_left (until the session''s absolute expiry: no access token may outlive it)}. A consumed '
  'token within p_grace_seconds is a concurrent refresh (successor issued); after it, a replay: the '
  'session is marked (reuse_detected_at) and reported, and every later refresh in it reports it again '
  'until the caller, once Redis knows, ends it with auth.end_reused_session. The session''s absolute '
  'expiry never moves.';

REVOKE ALL ON FUNCTION auth.rotate_refresh_token(bytea,bytea,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.rotate_refresh_token(bytea,bytea,integer) TO auth_service;
