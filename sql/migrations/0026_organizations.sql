-- Organizations (SPEC §2, §3): fleets of drivers and couriers run by an
-- executor_head, firms serving them run by a service_head. Memberships keep
-- their history as contacts do; who heads an organization is a mark on a
-- current membership. A session remembers which organizations its access
-- tokens name, so that ending a membership can end exactly those sessions.
SET LOCAL ROLE auth_owner;

CREATE TABLE accounts.organization_kinds (
  name              text PRIMARY KEY CHECK (name ~ '^[a-z][a-z_]{1,63}$'),
  head_group        text NOT NULL REFERENCES accounts.groups (name),
  has_service_type  boolean NOT NULL,
  description       text NOT NULL
);
COMMENT ON TABLE accounts.organization_kinds IS
  'What an organization may be, and the role its heads hold: a head grants, within that organization, what accounts.grants lets head_group grant.';

INSERT INTO accounts.organization_kinds (name, head_group, has_service_type, description) VALUES
  ('fleet', 'executor_head', false, 'Drivers and couriers, run by an executor head.'),
  ('firm',  'service_head',  true,  'A firm serving drivers and couriers, run by a service head.');

CREATE TABLE accounts.service_types (
  name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z_]{1,63}$'),
  description text NOT NULL
);
COMMENT ON TABLE accounts.service_types IS 'What a firm does for drivers and couriers; extensible as data.';

INSERT INTO accounts.service_types (name, description) VALUES
  ('order_service',   'Finds orders for drivers and couriers.'),
  ('waybill_service', 'Issues waybills.'),
  ('grocery_store',   'Sells groceries that couriers deliver.');

CREATE TABLE accounts.organizations (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind         text NOT NULL REFERENCES accounts.organization_kinds (name),
  service_type text REFERENCES accounts.service_types (name),
  name         text NOT NULL CHECK (name = btrim(name) AND char_length(name) BETWEEN 1 AND 200),
  is_active    boolean NOT NULL DEFAULT true,
  created_by   uuid REFERENCES accounts.users (id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN accounts.organizations.service_type IS
  'Set exactly when the kind has_service_type (a firm); checked by auth.create_organization.';
CREATE INDEX organizations_page_idx ON accounts.organizations (created_at, id);

CREATE TABLE accounts.organization_members (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES accounts.organizations (id) ON DELETE CASCADE,
  user_id         uuid NOT NULL REFERENCES accounts.users (id) ON DELETE CASCADE,
  head_since      timestamptz,
  -- The clock, not the transaction's start: changes of one membership
  -- take turns under the user's lock, and one that waited its turn must not
  -- date itself before the change it waited for.
  started_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  started_by      uuid REFERENCES accounts.users (id) ON DELETE SET NULL,
  ended_at        timestamptz,
  ended_by        uuid REFERENCES accounts.users (id) ON DELETE SET NULL,
  CHECK (ended_at IS NULL OR ended_at >= started_at)
);
COMMENT ON TABLE accounts.organization_members IS
  'Memberships of users in organizations, current (ended_at IS NULL) and past: history is kept.';
COMMENT ON COLUMN accounts.organization_members.head_since IS
  'Set while this member heads the organization (and kept on an ended membership as history).';
-- One current membership per user and organization, whatever races.
CREATE UNIQUE INDEX organization_members_current_key
  ON accounts.organization_members (organization_id, user_id) WHERE ended_at IS NULL;
CREATE INDEX organization_members_user_idx
  ON accounts.organization_members (user_id) WHERE ended_at IS NULL;
CREATE INDEX organization_members_page_idx
  ON accounts.organization_members (organization_id, started_at, user_id) WHERE ended_at IS NULL;

-- The organizations the session's access tokens name (their `orgs` claim),
-- as of its last sign-in or refresh.
ALTER TABLE auth.sessions ADD COLUMN organization_ids uuid[] NOT NULL DEFAULT '{}';
CREATE INDEX sessions_organizations_idx ON auth.sessions USING gin (organization_ids)
  WHERE revoked_at IS NULL;

ALTER TABLE auth.sessions DROP CONSTRAINT sessions_revoked_reason_check;
ALTER TABLE auth.sessions ADD CONSTRAINT sessions_revoked_reason_check
  CHECK (revoked_reason IN ('logout', 'logout_all', 'evicted', 'reuse_detected',
                            'password_changed', 'revoked_by_user', 'expired',
                            'user_deactivated', 'membership_ended',
                            'organization_deactivated'));

-- Signatures that gain an organization.
DROP FUNCTION auth.list_users(uuid, uuid, integer, timestamptz, uuid, text, text, text);
DROP FUNCTION auth.create_user(uuid, uuid, text, text, text, text, jsonb, text[], integer);
