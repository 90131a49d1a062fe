-- Roles and schemas. Roles are cluster-wide, so they are created only when
-- missing. `auth_owner` owns every object (and so is the identity that
-- SECURITY DEFINER functions run as); `auth_service` is what the component
-- connects as: it may call the API functions and nothing else. An operator
-- makes it able to log in (see README, "Database").
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'auth_owner') THEN
    CREATE ROLE auth_owner NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'auth_service') THEN
    CREATE ROLE auth_service NOLOGIN;
  END IF;
END
$$;

-- The migration runner creates objects as auth_owner (SET LOCAL ROLE).
GRANT auth_owner TO CURRENT_USER;

CREATE SCHEMA accounts AUTHORIZATION auth_owner;
CREATE SCHEMA auth AUTHORIZATION auth_owner;
COMMENT ON SCHEMA accounts IS 'Users, their contacts, groups (roles), grants and client interfaces.';
COMMENT ON SCHEMA auth IS 'Sessions, refresh tokens and the outbox of events.';

REVOKE ALL ON SCHEMA accounts, auth FROM PUBLIC;
GRANT USAGE ON SCHEMA accounts, auth TO auth_service;

-- Functions are not callable by everyone by default; each API function is
-- granted to auth_service explicitly.
ALTER DEFAULT PRIVILEGES FOR ROLE auth_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
