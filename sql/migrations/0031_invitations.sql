-- Invitations (issue 27, item 5; SPEC §2, §3): a head no longer takes an
-- existing person into its organization, it invites them, and the person
-- joins by accepting (as Keycloak and Auth0 Organizations do). Staff who
-- administer the organization still add people directly; a head's new
-- user (created inside its organization) still joins at once.
-- An invitation is pending until it is accepted or declined (once), or
-- found expired; its history is kept. The functions that use it
-- (auth.add_member, auth.list_invitations, auth.accept_invitation,
-- auth.decline_invitation) are SECURITY DEFINER, owned by auth_owner: the
-- service role gets no privilege on the table.
SET LOCAL ROLE auth_owner;

CREATE TABLE accounts.organization_invitations (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES accounts.organizations (id) ON DELETE CASCADE,
  user_id         uuid NOT NULL REFERENCES accounts.users (id) ON DELETE CASCADE,
  invited_by      uuid REFERENCES accounts.users (id) ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  status          text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'accepted', 'declined', 'expired')),
  -- When it stopped being pending: answered, or found expired.
  closed_at       timestamptz,
  -- The membership an acceptance started.
  membership_id   uuid REFERENCES accounts.organization_members (id) ON DELETE SET NULL,
  CHECK (expires_at > created_at),
  CHECK ((status = 'pending') = (closed_at IS NULL)),
  CHECK (membership_id IS NULL OR status = 'accepted')
);
COMMENT ON TABLE accounts.organization_invitations IS
  'Invitations of existing users into organizations, made by their heads: pending until the user accepts or declines (once) or it expires; kept as history.';
COMMENT ON COLUMN accounts.organization_invitations.status IS
  'pending, accepted, declined, or expired (marked when a new invitation of the same user into the same organization replaces an expired one).';
COMMENT ON COLUMN accounts.organization_invitations.membership_id IS
  'The membership its acceptance started (none if the user was already a member by then).';

-- One pending invitation per organization and user, whatever races.
CREATE UNIQUE INDEX organization_invitations_pending_key
  ON accounts.organization_invitations (organization_id, user_id) WHERE status = 'pending';
-- A user's pending invitations, newest first (GET /auth/invitations).
CREATE INDEX organization_invitations_user_idx
  ON accounts.organization_invitations (user_id, created_at) WHERE status = 'pending';
CREATE INDEX organization_invitations_organization_idx
  ON accounts.organization_invitations (organization_id);
CREATE INDEX organization_invitations_invited_by_idx
  ON accounts.organization_invitations (invited_by) WHERE invited_by IS NOT NULL;
CREATE INDEX organization_invitations_membership_idx
  ON accounts.organization_invitations (membership_id) WHERE membership_id IS NOT NULL;
