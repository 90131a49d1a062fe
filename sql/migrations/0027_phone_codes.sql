-- Phone codes (SPEC §4, §6): one active code per phone and purpose, stored
-- as a keyed digest (never the code), with its attempts; and the one-time
-- proofs a verified code buys (phone-only registration, adding a phone),
-- stored as SHA-256 digests.
SET LOCAL ROLE auth_owner;

CREATE TABLE auth.otp_codes (
  phone       text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
  purpose     text NOT NULL CHECK (purpose IN ('login', 'register', 'verify_phone')),
  code_digest bytea NOT NULL CHECK (octet_length(code_digest) = 32),
  attempts    integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  PRIMARY KEY (phone, purpose)
);
COMMENT ON TABLE auth.otp_codes IS
  'The current code of each phone and purpose: HMAC-SHA-256 of the code under a service key, never the code. A new request replaces it (after the resend delay); it dies when used, expired or out of attempts. A row exists for unknown phones too, so that the resend delay answers alike.';
CREATE INDEX otp_codes_expiry_idx ON auth.otp_codes (expires_at);

CREATE TABLE auth.otp_proofs (
  proof_digest bytea PRIMARY KEY CHECK (octet_length(proof_digest) = 32),
  phone        text NOT NULL,
  purpose      text NOT NULL CHECK (purpose IN ('register', 'verify_phone')),
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz
);
COMMENT ON TABLE auth.otp_proofs IS
  'One-time proofs that a phone received a code: SHA-256 of the proof handed to the client. Registration without a password, or adding a phone, uses one up.';
CREATE INDEX otp_proofs_expiry_idx ON auth.otp_proofs (expires_at);
