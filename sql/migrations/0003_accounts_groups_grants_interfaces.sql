-- Groups (roles), who may grant which group, and the client interfaces with
-- the groups a person may self-register into (SPEC §3). Data, not code,
-- decides; the rows are seeded in the next migration.
SET LOCAL ROLE auth_owner;

CREATE TABLE accounts.groups (
  name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z_]{1,63}$'),
  side        text NOT NULL CHECK (side IN ('staff', 'client')),
  description text NOT NULL
);

CREATE TABLE accounts.memberships (
  user_id    uuid NOT NULL REFERENCES accounts.users (id) ON DELETE CASCADE,
  group_name text NOT NULL REFERENCES accounts.groups (name),
  granted_by uuid REFERENCES accounts.users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, group_name)
);
COMMENT ON COLUMN accounts.memberships.granted_by IS 'NULL for self-registration and operator commands.';

CREATE TABLE accounts.grants (
  grantor_group text NOT NULL REFERENCES accounts.groups (name),
  grantee_group text NOT NULL REFERENCES accounts.groups (name),
  PRIMARY KEY (grantor_group, grantee_group)
);
COMMENT ON TABLE accounts.grants IS 'A member of grantor_group may give grantee_group to another user.';

CREATE TABLE accounts.interfaces (
  name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z_]{1,63}$'),
  description text NOT NULL
);

CREATE TABLE accounts.interface_self_registration (
  interface_name text NOT NULL REFERENCES accounts.interfaces (name),
  group_name     text NOT NULL REFERENCES accounts.groups (name),
  PRIMARY KEY (interface_name, group_name)
);
COMMENT ON TABLE accounts.interface_self_registration IS
  'Groups a person may join by registering through an interface; none means nobody self-registers there.';
