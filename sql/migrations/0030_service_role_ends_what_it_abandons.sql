-- PostgreSQL ends what the component has to abandon (issue 27, item 3).
--
-- Under the p3 build the component gives up on a call after 5 s (CALL_TIMEOUT
-- in src/edge/host/p3.rs) and answers 503. It cannot close the connection:
-- Spin's `spin:postgres` interface has no close, and dropping a connection
-- hands its client back to Spin's pool (deadpool-postgres with
-- RecyclingMethod::Clean, whose RESET ALL ... DISCARD SEQUENCES succeed
-- inside an open transaction and roll nothing back). A statement given up on
-- inside a transaction would otherwise go on, and the next request to borrow
-- that client would run its statements in the stranger's transaction: a later
-- error undoing work already answered (a logout answered 204), a later COMMIT
-- committing abandoned work, held locks stalling everyone else. Under the p2
-- build no call is given up on, and a wait on a lock held elsewhere would hold
-- the request for as long as the lock is held.
--
-- So the service role's sessions in this database end such things themselves,
-- all below the 5 s call timeout:
--   lock_timeout 2s: a statement waiting for a row lock fails (55P03) and the
--     request answers 503 with Retry-After, well before the component would
--     give up on it; the transaction is then aborted and rolled back.
--   statement_timeout 4s: no statement of the service runs longer (57014,
--     503): one the component gave up on is cancelled, so its transaction is
--     aborted, and the pool's Clean recycling fails on an aborted transaction
--     and discards the client. The functions answer in milliseconds.
--   idle_in_transaction_session_timeout 4s: a transaction nobody speaks to
--     for 4 s ends its session (25P03), so a client left in a transaction is
--     closed and the pool discards it. The component's transactions are idle
--     only while it waits for Redis, a call that itself is given up on at 5 s.
-- The operator commands (sql/create-superadmin, sql/publish-outbox) and the
-- migrations run as the owner, not as auth_service, and are not limited.
--
-- Set per database (ALTER ROLE ... IN DATABASE), since the role is the
-- cluster's: it takes effect for sessions started after this, and RESET ALL
-- (the pool's recycling) keeps it. Altering the role needs a superuser, or
-- (PostgreSQL 16+) a CREATEROLE role with ADMIN OPTION on auth_service.
DO $$
BEGIN
  EXECUTE format('ALTER ROLE auth_service IN DATABASE %I SET lock_timeout = %L',
                 current_database(), '2s');
  EXECUTE format('ALTER ROLE auth_service IN DATABASE %I SET statement_timeout = %L',
                 current_database(), '4s');
  EXECUTE format('ALTER ROLE auth_service IN DATABASE %I SET idle_in_transaction_session_timeout = %L',
                 current_database(), '4s');
END
$$;
