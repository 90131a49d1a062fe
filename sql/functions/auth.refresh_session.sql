CREATE OR REPLACE FUNCTION auth.refresh_session(p_session_id uuid, p_refresh_seed bytea, p_generation bigint, p_grace_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
-- Rotation with reuse detection (SPEC §5, RFC 9700 §4.14.2) in one UPDATE of
-- the session row. The component has already checked the token's MAC
-- (src/core/tokens.rs), so (session id, generation, seed) is one it issued:
-- a forged token never gets here, and knowing a session id (every access
-- token names it) ends nobody's session. The seed's digest is compared as
-- well, so the key alone, without the session's seed, opens nothing.
--
-- With g the session's current generation and p the presented one:
--   p = g            rotated: g becomes g + 1; the caller issues the token
--                    of g + 1.
--   p = g - 1 or g - 2, presented within p_grace_seconds of the rotation
--                    that consumed it (rotated_at, previous_rotated_at)
--                    concurrent (another tab refreshed with the same token a
--                    moment ago): nothing moves; the caller issues the token
--                    of g, the one the other tab holds now, so the tabs
--                    hold the same token and the next refresh rotates it.
--   p < g otherwise  a replay of an earlier token (any earlier one, not only
--                    the last): the session is marked (reuse_detected_at);
--                    Redis hears, then auth.end_replayed_session ends it.
--   p > g            never issued by this session (a restored backup):
--                    invalid, nothing changes.
-- A session already marked answers reuse_detected to every token of it.
--
-- Only columns no index covers change (generation, the rotation times,
-- last_used_at, reuse_detected_at), and the table keeps room on its pages
-- (fillfactor 70): the update is HOT, no index is written. Concurrent
-- refreshes of one session take turns on the row lock; the second re-reads
-- the row the first wrote, so exactly one of two racing presentations of
-- p = g rotates and the other is concurrent.
DECLARE
  v_user_id    uuid;
  v_generation bigint;
  v_reused     timestamptz;
  v_named      uuid[];
  v_orgs       uuid[];
  v_amr        text[];
  v_expires_at timestamptz;
BEGIN
  UPDATE auth.sessions s SET
    refresh_generation = CASE WHEN s.reuse_detected_at IS NULL AND s.refresh_generation = p_generation
                              THEN s.refresh_generation + 1 ELSE s.refresh_generation END,
    previous_rotated_at = CASE WHEN s.reuse_detected_at IS NULL AND s.refresh_generation = p_generation
                               THEN s.rotated_at ELSE s.previous_rotated_at END,
    rotated_at = CASE WHEN s.reuse_detected_at IS NULL AND s.refresh_generation = p_generation
                      THEN now() ELSE s.rotated_at END,
    last_used_at = CASE WHEN s.reuse_detected_at IS NULL AND s.refresh_generation = p_generation
                        THEN now() ELSE s.last_used_at END,
    reuse_detected_at = CASE
      WHEN s.reuse_detected_at IS NOT NULL OR s.refresh_generation = p_generation THEN s.reuse_detected_at
      WHEN s.refresh_generation = p_generation + 1
           AND s.rotated_at > now() - make_interval(secs => p_grace_seconds) THEN NULL
      WHEN s.refresh_generation = p_generation + 2
           AND s.previous_rotated_at > now() - make_interval(secs => p_grace_seconds) THEN NULL
      ELSE now() END
  FROM accounts.users u
  WHERE s.id = p_session_id AND s.refresh_seed_digest = sha256(p_refresh_seed)
    AND s.refresh_generation >= p_generation
    AND s.revoked_at IS NULL AND s.expires_at > now()
    AND u.id = s.user_id AND u.is_active
  RETURNING s.user_id, s.refresh_generation, s.reuse_detected_at, s.organization_ids, s.amr,
            s.expires_at
  INTO v_user_id, v_generation, v_reused, v_named, v_amr, v_expires_at;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'invalid');
  END IF;
  IF v_reused IS NOT NULL THEN
    RETURN jsonb_build_object('outcome', 'reuse_detected', 'session_id', p_session_id,
                              'user_id', v_user_id);
  END IF;
  -- Read in a statement of its own, now that the row lock is held (ending a
  -- membership or an organization takes it first): what committed while the
  -- UPDATE waited is seen, so a successor never names an organization whose
  -- membership has ended. Written back only when it changed.
  v_orgs := accounts.user_organizations(v_user_id);
  IF v_orgs IS DISTINCT FROM v_named THEN
    UPDATE auth.sessions SET organization_ids = v_orgs WHERE id = p_session_id;
  END IF;
  RETURN jsonb_build_object(
    'outcome', 'rotated',
    'session_id', p_session_id,
    'user_id', v_user_id,
    'generation', v_generation,
    'roles', to_jsonb(accounts.user_roles(v_user_id)),
    'organizations', to_jsonb(v_orgs),
    'amr', to_jsonb(v_amr),
    'seconds_left', floor(extract(epoch FROM v_expires_at - now()))::bigint);
END
$function$;

COMMENT ON FUNCTION auth.refresh_session(uuid,bytea,bigint,integer) IS
  'Refreshes a session given its refresh token''s parts (MAC already checked by the caller): p_session_id, p_refresh_seed (compared by its SHA-256), p_generation. One HOT update of the session row. Returns {outcome: rotated, session_id, user_id, generation (of the token to issue: the next one, or the current one for a concurrent tab presenting one of the two before it within p_grace_seconds of its rotation), roles, organizations, amr, seconds_left (until the absolute expiry, which never moves)}, {outcome: reuse_detected, session_id, user_id} (an earlier generation after its grace, or any token of a session already marked: the session is marked reuse_detected_at and the caller, once Redis knows, ends it with auth.end_replayed_session) or {outcome: invalid} (unknown session or seed, a generation never issued, ended, expired, or the user inactive).';

REVOKE ALL ON FUNCTION auth.refresh_session(uuid,bytea,bigint,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.refresh_session(uuid,bytea,bigint,integer) TO auth_service;
