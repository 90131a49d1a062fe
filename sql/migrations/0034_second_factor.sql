-- The second factor (SPEC §6a): a TOTP secret per user, sealed by the
-- component (AES-256-GCM; the database never sees it in the clear), the
-- last time step accepted (each is accepted once), ten one-time recovery
-- codes as keyed digests, and the short-lived challenges between a first
-- factor and the second. A session remembers how it was opened (amr,
-- RFC 8176), so a refresh keeps it.
SET LOCAL ROLE auth_owner;

CREATE TABLE auth.mfa_totp (
  user_id       uuid PRIMARY KEY REFERENCES accounts.users (id) ON DELETE CASCADE,
  sealed_secret bytea NOT NULL CHECK (octet_length(sealed_secret) > 28),
  confirmed_at  timestamptz,
  last_step     bigint,
  created_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE auth.mfa_totp IS
  'A user''s TOTP second factor: the secret sealed with AES-256-GCM under mfa_encryption_key (12-byte nonce, ciphertext, tag; the user id is the associated data), on once confirmed_at is set (until then an enrolment in progress), and last_step, the last 30-second time step a code was accepted for (never again).';

CREATE TABLE auth.mfa_recovery_codes (
  user_id     uuid NOT NULL REFERENCES accounts.users (id) ON DELETE CASCADE,
  code_digest bytea NOT NULL CHECK (octet_length(code_digest) = 32),
  used_at     timestamptz,
  PRIMARY KEY (user_id, code_digest)
);
COMMENT ON TABLE auth.mfa_recovery_codes IS
  'One-time recovery codes of the second factor: HMAC-SHA-256 under a service key over the user id and the code, never the code. Shown once at enrolment.';

CREATE TABLE auth.mfa_challenges (
  token_digest bytea PRIMARY KEY CHECK (octet_length(token_digest) = 32),
  user_id      uuid NOT NULL REFERENCES accounts.users (id) ON DELETE CASCADE,
  first_factor text NOT NULL CHECK (first_factor IN ('pwd', 'sms')),
  attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz
);
COMMENT ON TABLE auth.mfa_challenges IS
  'Between a first factor and the second: the SHA-256 of the mfa_token handed to the client, the user it signs in and the first factor used (pwd, sms). One use, a few minutes, a few tries; it opens exactly one session.';
CREATE INDEX mfa_challenges_expiry_idx ON auth.mfa_challenges (expires_at);

ALTER TABLE auth.sessions ADD COLUMN amr text[] NOT NULL DEFAULT '{pwd}';
COMMENT ON COLUMN auth.sessions.amr IS
  'How the session was opened (RFC 8176): pwd, sms, and otp and mfa after a second factor. Access tokens carry it as the amr claim; a refresh keeps it.';

ALTER TABLE auth.sessions DROP CONSTRAINT sessions_revoked_reason_check;
ALTER TABLE auth.sessions ADD CONSTRAINT sessions_revoked_reason_check
  CHECK (revoked_reason IN ('logout', 'logout_all', 'evicted', 'reuse_detected',
                            'password_changed', 'revoked_by_user', 'expired',
                            'user_deactivated', 'membership_ended',
                            'organization_deactivated', 'contact_changed',
                            'password_reset', 'second_factor_changed'));

-- A login code may now answer for a second factor instead of a session.
DROP FUNCTION IF EXISTS auth.sign_in_with_otp(text,bytea,integer,bytea,integer,integer,text,text);

-- A verification link that claims an address completes only for its user,
-- signed in (issue 28's review): the one-argument form is gone.
DROP FUNCTION IF EXISTS auth.verify_email(bytea);
-- Readiness reads one sealed secret (auth.second_factor_sample) to check the
-- key opens it, no longer only whether one exists.
DROP FUNCTION IF EXISTS auth.second_factor_in_use();
