-- Recovery and verified emails (SPEC §2, §6a):
-- * email links: one-time tokens (only their SHA-256 stored) that verify an
--   email or recover an account, bound to the user and the address;
-- * recovery codes: a `recover` code to the account's verified phone, bound
--   to the user it recovers;
-- * a reset ends every session of the user (password_reset).
SET LOCAL ROLE auth_owner;

CREATE TABLE auth.email_links (
  token_digest bytea PRIMARY KEY CHECK (octet_length(token_digest) = 32),
  purpose      text NOT NULL CHECK (purpose IN ('verify_email', 'recover')),
  user_id      uuid NOT NULL REFERENCES accounts.users (id) ON DELETE CASCADE,
  email        text NOT NULL CHECK (email <> ''),
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz
);
COMMENT ON TABLE auth.email_links IS
  'Links sent by email: SHA-256 of the token in the link (never the token), its purpose (verify_email: proves the address for user_id, taking it from an account that holds it unverified; recover: sets a new password), one use, until expires_at. A verify_email link for an address the user does not hold yet (someone holds it unverified) is their claim on it.';
CREATE INDEX email_links_user_idx ON auth.email_links (user_id, purpose, email);
CREATE INDEX email_links_expiry_idx ON auth.email_links (expires_at);

ALTER TABLE auth.otp_codes DROP CONSTRAINT otp_codes_purpose_check;
ALTER TABLE auth.otp_codes ADD CONSTRAINT otp_codes_purpose_check
  CHECK (purpose IN ('login', 'register', 'verify_phone', 'reauth', 'recover'));
ALTER TABLE auth.otp_codes DROP CONSTRAINT otp_codes_signed_in_purposes_have_a_user;
ALTER TABLE auth.otp_codes ADD CONSTRAINT otp_codes_bound_purposes_have_a_user
  CHECK ((purpose IN ('verify_phone', 'reauth', 'recover')) = (user_id IS NOT NULL));
COMMENT ON COLUMN auth.otp_codes.user_id IS
  'The user the code is bound to: the signed-in user who asked (verify_phone, reauth), or the account a recover code recovers. Only for them does it work.';

ALTER TABLE auth.sessions DROP CONSTRAINT sessions_revoked_reason_check;
ALTER TABLE auth.sessions ADD CONSTRAINT sessions_revoked_reason_check
  CHECK (revoked_reason IN ('logout', 'logout_all', 'evicted', 'reuse_detected',
                            'password_changed', 'revoked_by_user', 'expired',
                            'user_deactivated', 'membership_ended',
                            'organization_deactivated', 'contact_changed',
                            'password_reset'));

-- Signatures that gain an email link (IF EXISTS: a new database gets its
-- functions only after the versioned migrations).
DROP FUNCTION IF EXISTS auth.register(text,text,text,text,jsonb,text[],text,bytea,integer,text,text,integer);
DROP FUNCTION IF EXISTS auth.register_by_phone(bytea,text,text,text,jsonb,text[],text,bytea,integer,text,text,integer);
DROP FUNCTION IF EXISTS auth.add_contact(uuid,uuid,text,bytea,text,text);
