-- A change of credentials (password change or reset, second factor turned
-- on or off) deletes the user's second-step challenges under the user's row
-- lock, by user_id: an index, so that delete reads only the user's rows.
-- (It was briefly edited into 0034 after 0034 had shipped; applied
-- migrations are history, so it lives here.)
SET LOCAL ROLE auth_owner;

CREATE INDEX IF NOT EXISTS mfa_challenges_user_idx ON auth.mfa_challenges (user_id);
