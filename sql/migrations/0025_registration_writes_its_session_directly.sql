-- auth.register writes the new user's session itself (auth.insert_session):
-- a user created in the same transaction has no session to evict and no
-- one else to race, so its session limit parameter goes.
SET LOCAL ROLE auth_owner;

DROP FUNCTION auth.register(text, text, text, text, jsonb, text[], text, bytea, integer, integer, text, text, integer);
