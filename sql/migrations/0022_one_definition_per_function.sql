-- From here on every stored function has one current definition, in
-- sql/functions/<schema>.<name>.sql with its COMMENT and GRANT, which
-- sql/migrate re-applies after the versioned migrations whenever the file
-- changes. Versioned migrations keep tables, data and the dropping of old
-- signatures; none after this one defines a function.
SET LOCAL ROLE auth_owner;

-- Overloads kept for components built before migration 0020: they ended
-- sessions without telling Redis first, and a rolling deploy with an old
-- component would use them.
DROP FUNCTION auth.sign_in(uuid, text, bytea, integer, integer, text, text, integer);
DROP FUNCTION auth.rotate_refresh_token(bytea, bytea, integer, boolean);
-- Redis no longer needs ended sessions copied back: it vouches for a session
-- only with an entry PostgreSQL confirmed (see src/edge/redis.rs).
DROP FUNCTION auth.recently_ended_sessions(integer);

-- A replayed refresh token marks its session at once, in the statement that
-- detects it; the session ends once Redis has heard. Until then every
-- refresh in it reports the replay again, so its end cannot be lost.
ALTER TABLE auth.sessions ADD COLUMN reuse_detected_at timestamptz;
