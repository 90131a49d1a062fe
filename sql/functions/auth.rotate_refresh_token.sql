CREATE OR REPLACE FUNCTION auth.rotate_refresh_token(p_token_hash bytea, p_refresh_seed bytea, p_grace_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
-- Refresh tokens issued before migration 0035 (their SHA-256 stored in
-- auth.refresh_tokens) refresh once more here, and their session moves to
-- the scheme of auth.refresh_session at generation 0, whose token the caller
-- issues: its seed is p_refresh_seed, which the caller derives from the old
-- token, so a tab presenting the same token a moment later gets the same
-- one. Replays of the old tokens are still detected.
DECLARE
  v_orgs    uuid[];
  v_token   auth.refresh_tokens;
  v_session auth.sessions;
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
    RETURN jsonb_build_object('outcome', 'reuse_detected', 'session_id', v_session.id,
                              'user_id', v_session.user_id);
  ELSIF v_token.consumed_at IS NULL THEN
    UPDATE auth.refresh_tokens SET consumed_at = now() WHERE token_hash = p_token_hash;
  ELSIF v_token.consumed_at > now() - make_interval(secs => p_grace_seconds) THEN
    -- Another tab refreshed with the same token a moment ago: the token of
    -- the session's current generation, which that tab got too.
    NULL;
  ELSE
    -- Consumed, after the grace: a replay. Marked; Redis hears first, then
    -- auth.end_reused_session ends it.
    UPDATE auth.sessions SET reuse_detected_at = now() WHERE id = v_session.id;
    RETURN jsonb_build_object('outcome', 'reuse_detected', 'session_id', v_session.id,
                              'user_id', v_session.user_id);
  END IF;

  IF v_session.refresh_seed_digest IS NOT NULL
     AND v_session.refresh_seed_digest <> sha256(p_refresh_seed) THEN
    -- Moved already by another of its old tokens (the old scheme let tabs
    -- fork a session's tokens): that tab holds the session's token now.
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  v_orgs := accounts.user_organizations(v_session.user_id);
  UPDATE auth.sessions
  SET refresh_seed_digest = sha256(p_refresh_seed),
      rotated_at = CASE WHEN refresh_seed_digest IS NULL THEN now() ELSE rotated_at END,
      last_used_at = now(), organization_ids = v_orgs
  WHERE id = v_session.id
  RETURNING * INTO v_session;
  RETURN jsonb_build_object(
    'outcome', 'rotated',
    'session_id', v_session.id,
    'user_id', v_session.user_id,
    'generation', v_session.refresh_generation,
    'roles', to_jsonb(accounts.user_roles(v_session.user_id)),
    'organizations', to_jsonb(v_orgs),
    'amr', to_jsonb(v_session.amr),
    'seconds_left', floor(extract(epoch FROM v_session.expires_at - now()))::bigint);
END
$function$;

COMMENT ON FUNCTION auth.rotate_refresh_token(bytea,bytea,integer) IS
  'Refreshes with a token of the scheme before migration 0035 (its SHA-256 given): consumes it and moves its session to a per-session seed (p_refresh_seed, derived by the caller from the old token; its SHA-256 stored). Returns {outcome: rotated, session_id, user_id, generation (of the token to issue), roles, organizations, amr, seconds_left}; a consumed token within p_grace_seconds gets the same; after it, {outcome: reuse_detected, session_id, user_id} (the session is marked; the caller ends it with auth.end_reused_session once Redis knows); {outcome: invalid} otherwise.';

REVOKE ALL ON FUNCTION auth.rotate_refresh_token(bytea,bytea,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.rotate_refresh_token(bytea,bytea,integer) TO auth_service;
