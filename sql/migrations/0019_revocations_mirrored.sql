-- The access-token guard asks Redis only (issue 9): every session that ends
-- is mirrored there while an access token of it could still be alive. The
-- component ends sessions inside a transaction, reads which ones that
-- transaction ended, writes them to Redis, and only then commits; after
-- Redis lost its data, it copies back every session ended within one access
-- token lifetime before accepting any token again.
SET LOCAL ROLE auth_owner;

CREATE INDEX sessions_revoked_at_idx ON auth.sessions (revoked_at) WHERE revoked_at IS NOT NULL;
-- Every session of a user, ended ones included: auth.purge_user reads them at
-- each sign-in (the index of active sessions cannot serve it), and so would a
-- user's deletion. Without it a sign-in scanned every session there is (the
-- benchmark's login went from 6 to 15 ms with 100,000 ended sessions). With
-- revoked_at second, a query for a user's active sessions that the planner
-- sends here still reads no ended row (revoked_at IS NULL is an index bound).
CREATE INDEX sessions_user_idx ON auth.sessions (user_id, revoked_at);

CREATE FUNCTION auth.sessions_ended_now()
RETURNS jsonb
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  -- Every function that ends a session sets revoked_at = now(), which is the
  -- start of the transaction: the sessions this transaction ended (and any
  -- other ended at that same instant, which is just as ended).
  SELECT coalesce(jsonb_agg(id), '[]'::jsonb) FROM auth.sessions WHERE revoked_at = now()
$$;
COMMENT ON FUNCTION auth.sessions_ended_now() IS
  'Ids of the sessions ended by the current transaction, as a jsonb array: what the component '
  'mirrors to Redis before it commits.';

CREATE FUNCTION auth.recently_ended_sessions(p_within_seconds integer)
RETURNS jsonb
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(jsonb_agg(id), '[]'::jsonb)
  FROM auth.sessions
  WHERE revoked_at IS NOT NULL
    AND revoked_at > now() - make_interval(secs => p_within_seconds)
$$;
COMMENT ON FUNCTION auth.recently_ended_sessions(integer) IS
  'Ids of the sessions ended within the last p_within_seconds (one access-token lifetime), as a '
  'jsonb array: what the component copies back to Redis after Redis lost its data.';

GRANT EXECUTE ON FUNCTION
  auth.sessions_ended_now(),
  auth.recently_ended_sessions(integer)
TO auth_service;
