-- Every index on auth.sessions is written by every sign-in and most by every
-- logout (a revocation changes revoked_at, which three of them cover). Kept
-- only what a query needs (issue 30; docs/benchmarks.md shows the index use
-- of a benchmark run):
--   sessions_pkey            every lookup by id (refresh, logout, the guard's
--                            fallbacks);
--   sessions_user_idx        a user's sessions, (user_id, revoked_at): active
--                            ones (revoked_at IS NULL is an index bound:
--                            eviction, the session cap, listing, logout of
--                            all) and ended ones (retention per user);
--   sessions_revoked_at_idx  sessions ended within an access-token lifetime
--                            (Redis refilled after a loss) and by the current
--                            transaction (auth.sessions_ended_now).
-- Dropped:
--   sessions_active_by_user_idx  (user_id, created_at) of active sessions:
--                            sessions_user_idx serves the same lookups (a
--                            user holds at most max_active_sessions active
--                            ones; ordering them by created_at sorts ten rows);
--   sessions_ended_at_idx    coalesce(revoked_at, expires_at), read only by the
--                            operator's retention job (auth.purge), which may
--                            scan the table; written by every sign-in.
-- (The GIN index on organization_ids went in 0035.)
SET LOCAL ROLE auth_owner;

DROP INDEX auth.sessions_active_by_user_idx;
DROP INDEX auth.sessions_ended_at_idx;

