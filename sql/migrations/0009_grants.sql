-- What the component may call: the API functions, and nothing else. It has no
-- privilege on any table (tests/e2e/tests/service_role_cannot_touch_tables.rs).
SET LOCAL ROLE auth_owner;

GRANT EXECUTE ON FUNCTION
  auth.register(text, text, text, text, jsonb, text[], text, bytea, integer, integer, text, text),
  auth.open_session(uuid, bytea, integer, integer, text, text),
  auth.find_credentials(text, text)
TO auth_service;
