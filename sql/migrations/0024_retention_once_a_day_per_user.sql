-- A user's retention (auth.purge_user) ran at every sign-in; it now runs at
-- a sign-in at most once a day per user, the rest of the time only through
-- the operator command (auth.purge). This column says when it last ran.
SET LOCAL ROLE auth_owner;

ALTER TABLE accounts.users ADD COLUMN retention_run_at timestamptz;
COMMENT ON COLUMN accounts.users.retention_run_at IS
  'When auth.sign_in last ran this user''s retention (NULL: never); it runs again a day later.';
