-- Users and their contacts (SPEC §2). An active contact value belongs to at
-- most one user, and a user has at most one active second_login and phone:
-- both are unique indexes, not checks in code.
SET LOCAL ROLE auth_owner;

CREATE TABLE accounts.users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  password_hash text CHECK (password_hash IS NULL OR password_hash LIKE '$2%'),
  profile       jsonb NOT NULL DEFAULT '{}'::jsonb
                CHECK (jsonb_typeof(profile) = 'object' AND octet_length(profile::text) <= 8192),
  is_active     boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN accounts.users.password_hash IS 'bcrypt hash; NULL for phone-only accounts.';

CREATE TABLE accounts.contact_types (
  name          text PRIMARY KEY,
  single_active boolean NOT NULL,
  description   text NOT NULL
);
COMMENT ON COLUMN accounts.contact_types.single_active IS
  'true: adding one deactivates the previous, and the last one can never be lost.';

INSERT INTO accounts.contact_types (name, single_active, description) VALUES
  ('second_login', true,  'The friendly login: 3-64 chars of [a-z0-9._-], starting with a letter.'),
  ('phone',        true,  'E.164 phone number.'),
  ('email',        false, 'Lower-cased email address; several may be active.');

CREATE TABLE accounts.contacts (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id        uuid NOT NULL REFERENCES accounts.users (id) ON DELETE CASCADE,
  contact_type   text NOT NULL REFERENCES accounts.contact_types (name),
  value          text NOT NULL CHECK (value <> ''),
  is_active      boolean NOT NULL DEFAULT true,
  verified_at    timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  deactivated_at timestamptz,
  CHECK (is_active = (deactivated_at IS NULL))
);

CREATE UNIQUE INDEX contacts_active_value_key
  ON accounts.contacts (contact_type, value) WHERE is_active;
CREATE UNIQUE INDEX contacts_one_active_login_or_phone_per_user
  ON accounts.contacts (user_id, contact_type)
  WHERE is_active AND contact_type IN ('second_login', 'phone');
CREATE INDEX contacts_user_idx ON accounts.contacts (user_id);
