-- A refresh touches one row (issue 30). Until now every rotation locked the
-- presented token's row, locked its session, updated the token, inserted its
-- successor (two indexed writes) and updated the session. From now on a
-- session's refresh tokens are not stored at all: the session row holds the
-- SHA-256 of a random per-session value (the seed) and a counter
-- (refresh_generation), and the token of generation g is
--
--   session id (16 bytes) || g (8 bytes) || seed (16 bytes)
--     || HMAC-SHA256(key, the 40 bytes before)
--
-- in base64url, the key derived from jwt_secret (src/core/tokens.rs). The
-- component checks the MAC before it asks the database anything, so a token
-- it did not issue never reaches a session, and knowing a session id (every
-- access token names one) ends nobody's session. Only the seed's digest is
-- stored: a dump of the database, even with the key, mints nothing (the
-- seed is only in the client's token); the key alone mints nothing either.
-- auth.refresh_session says how a generation is rotated, how a concurrent
-- tab is told the current one, and how a replay of any earlier one is seen.
--
-- Tokens issued before this migration (43 characters, their SHA-256 in
-- auth.refresh_tokens) refresh once more through auth.rotate_refresh_token,
-- which moves their session to the new scheme with a seed derived from the
-- old token (two tabs presenting it get the same one); the table keeps the
-- consumed ones (replays of them are still detected) until retention
-- deletes them.
--
-- The functions below keep their argument types with new meanings: stop the
-- instances of the previous version before (or while) this runs, as for any
-- migration that changes a function's contract.
SET LOCAL ROLE auth_owner;

ALTER TABLE auth.sessions
  ADD COLUMN refresh_seed_digest bytea CHECK (octet_length(refresh_seed_digest) = 32),
  ADD COLUMN refresh_generation  bigint NOT NULL DEFAULT 0 CHECK (refresh_generation >= 0),
  ADD COLUMN rotated_at          timestamptz,
  ADD COLUMN previous_rotated_at timestamptz;
COMMENT ON COLUMN auth.sessions.refresh_seed_digest IS
  'SHA-256 of the random per-session value every refresh token of the session carries and its MAC covers (NULL: a session still on stored token hashes).';
COMMENT ON COLUMN auth.sessions.refresh_generation IS
  'The generation of the session''s current refresh token; each rotation adds one. Earlier generations presented again are replays.';
COMMENT ON COLUMN auth.sessions.rotated_at IS
  'When the current generation was issued by a rotation (its predecessor consumed): the concurrent-tab grace of the predecessor counts from it.';
COMMENT ON COLUMN auth.sessions.previous_rotated_at IS
  'When the generation before the current one was issued: the grace of the one before that counts from it.';

-- Ending an organization finds its sessions through the members' rows
-- (sessions_user_idx), so no index on organization_ids is kept: a GIN entry
-- was paid by every sign-in for the rare deactivation.
DROP INDEX auth.sessions_organizations_idx;

-- Signatures whose session parameter is now the refresh seed, not a token's
-- SHA-256 (same types, new names and meaning): the function files create
-- them again.
DROP FUNCTION IF EXISTS auth.insert_session(uuid,bytea,integer,text,text);
DROP FUNCTION IF EXISTS auth.open_session(uuid,bytea,integer,integer,text,text);
DROP FUNCTION IF EXISTS auth.sign_in(uuid,text,bytea,integer,integer,text,text,integer,boolean);
DROP FUNCTION IF EXISTS auth.sign_in_with_otp(text,bytea,integer,bytea,integer,integer,text,text,bytea,integer);
DROP FUNCTION IF EXISTS auth.complete_second_factor(bytea,bigint,bytea,integer,bytea,integer,integer,text,text);
DROP FUNCTION IF EXISTS auth.register(text,text,text,text,jsonb,text[],text,bytea,integer,text,text,integer,bytea,integer);
DROP FUNCTION IF EXISTS auth.register_by_phone(bytea,text,text,text,jsonb,text[],text,bytea,integer,text,text,integer,bytea,integer);
DROP FUNCTION IF EXISTS auth.rotate_refresh_token(bytea,bytea,integer);
