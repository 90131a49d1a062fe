-- accounts.try_create_user now writes the user and its contacts itself,
-- with ON CONFLICT instead of EXCEPTION blocks (each of which started a
-- subtransaction on every registration): the two helpers it called go.
SET LOCAL ROLE auth_owner;

DROP FUNCTION accounts.create_user(text, text, text, text, jsonb, text[], uuid);
DROP FUNCTION accounts.add_contact(uuid, text, text);
