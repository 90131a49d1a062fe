-- Two rules of headship (issue 27's review): dismissing a head takes away
-- only what appointing gave, and an invitation lives only while the head
-- who made it still heads the organization.
--
-- A role held because staff appointed the user head of an organization is
-- marked `by_appointment`; a dismissal (or the end of the head's
-- membership) removes only such a role (one staff granted outright, before
-- or after, stays). A heading role held by someone who is or was head of
-- an organization of that kind is taken to come from the appointment and
-- marked so (staff could grant it outright too, and the old rows do not
-- say: such a role now goes at the next dismissal, as it did before); held
-- by someone who heads no such organization any more, it goes now.
--
-- An invitation whose head was dismissed, left, or lost the organization
-- is `withdrawn`: it can no longer be accepted.
SET LOCAL ROLE auth_owner;

ALTER TABLE accounts.memberships
  ADD COLUMN by_appointment boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN accounts.memberships.by_appointment IS
  'Held because the user was appointed head of an organization whose kind this role heads (auth.appoint_head): a dismissal removes it when they head no other such organization. False for a role granted outright, which a dismissal leaves alone.';

UPDATE accounts.memberships r SET by_appointment = true
WHERE EXISTS (SELECT FROM accounts.organization_members m
              JOIN accounts.organizations o ON o.id = m.organization_id
              JOIN accounts.organization_kinds k ON k.name = o.kind
              WHERE m.user_id = r.user_id AND m.head_since IS NOT NULL
                AND k.head_group = r.group_name);

-- Before this migration, a head whose membership staff ended kept the
-- heading role with no headship left to end: such roles go now, as
-- auth.end_membership removes them from here on.
DELETE FROM accounts.memberships r
WHERE r.by_appointment
  AND NOT EXISTS (SELECT FROM accounts.organization_members m
                  JOIN accounts.organizations o ON o.id = m.organization_id
                  JOIN accounts.organization_kinds k ON k.name = o.kind
                  WHERE m.user_id = r.user_id AND m.ended_at IS NULL
                    AND m.head_since IS NOT NULL AND k.head_group = r.group_name);

ALTER TABLE accounts.organization_invitations
  DROP CONSTRAINT organization_invitations_status_check,
  ADD CONSTRAINT organization_invitations_status_check
    CHECK (status IN ('pending', 'accepted', 'declined', 'expired', 'withdrawn'));
COMMENT ON COLUMN accounts.organization_invitations.status IS
  'pending, accepted, declined, expired (marked when a new invitation of the same user into the same organization replaces an expired one), or withdrawn (the head who made it no longer heads the organization).';
