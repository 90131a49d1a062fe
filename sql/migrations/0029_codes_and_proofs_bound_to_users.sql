-- Hardening, third round (SPEC §2, §6):
-- * a verify_phone code, and the proof it buys, belong to the signed-in user
--   who asked for it: a stolen access token plus one's own phone no longer
--   proves anything for someone else's account;
-- * a new purpose, reauth: a code to the signed-in user's current verified
--   phone buys a short-lived proof of the account, which sensitive changes
--   (contacts, a first password) accept instead of the current password;
-- * a sensitive change ends the user's other sessions (contact_changed).
-- Codes and proofs in flight are short-lived; those that belong to nobody
-- are dropped rather than guessed an owner.
SET LOCAL ROLE auth_owner;

DELETE FROM auth.otp_codes WHERE purpose = 'verify_phone';
DELETE FROM auth.otp_proofs WHERE purpose = 'verify_phone';

ALTER TABLE auth.otp_codes ADD COLUMN user_id uuid REFERENCES accounts.users (id) ON DELETE CASCADE;
ALTER TABLE auth.otp_codes DROP CONSTRAINT otp_codes_purpose_check;
ALTER TABLE auth.otp_codes ADD CONSTRAINT otp_codes_purpose_check
  CHECK (purpose IN ('login', 'register', 'verify_phone', 'reauth'));
ALTER TABLE auth.otp_codes ADD CONSTRAINT otp_codes_signed_in_purposes_have_a_user
  CHECK ((purpose IN ('verify_phone', 'reauth')) = (user_id IS NOT NULL));
COMMENT ON COLUMN auth.otp_codes.user_id IS
  'The signed-in user who asked (verify_phone, reauth): only they can use the code.';
-- One current code per phone, purpose and asker: a code someone else asked
-- for the same phone (a squatter holding it unverified, say) never replaces
-- the owner's.
ALTER TABLE auth.otp_codes ADD COLUMN owner uuid NOT NULL
  GENERATED ALWAYS AS (coalesce(user_id, '00000000-0000-0000-0000-000000000000'::uuid)) STORED;
COMMENT ON COLUMN auth.otp_codes.owner IS
  'user_id, or the nil UUID for the anonymous purposes (login, register): part of the key.';
ALTER TABLE auth.otp_codes DROP CONSTRAINT otp_codes_pkey;
ALTER TABLE auth.otp_codes ADD PRIMARY KEY (phone, purpose, owner);

ALTER TABLE auth.otp_proofs ADD COLUMN user_id uuid REFERENCES accounts.users (id) ON DELETE CASCADE;
ALTER TABLE auth.otp_proofs DROP CONSTRAINT otp_proofs_purpose_check;
ALTER TABLE auth.otp_proofs ADD CONSTRAINT otp_proofs_purpose_check
  CHECK (purpose IN ('register', 'verify_phone', 'reauth'));
ALTER TABLE auth.otp_proofs ADD CONSTRAINT otp_proofs_signed_in_purposes_have_a_user
  CHECK ((purpose IN ('verify_phone', 'reauth')) = (user_id IS NOT NULL));
COMMENT ON COLUMN auth.otp_proofs.user_id IS
  'The user the proof was given to (verify_phone, reauth): only they can use it.';

ALTER TABLE auth.sessions DROP CONSTRAINT sessions_revoked_reason_check;
ALTER TABLE auth.sessions ADD CONSTRAINT sessions_revoked_reason_check
  CHECK (revoked_reason IN ('logout', 'logout_all', 'evicted', 'reuse_detected',
                            'password_changed', 'revoked_by_user', 'expired',
                            'user_deactivated', 'membership_ended',
                            'organization_deactivated', 'contact_changed'));

-- Signatures that gain the user a code or proof is bound to, or a proof of
-- the account (IF EXISTS: a new database gets its functions only after the
-- versioned migrations).
DROP FUNCTION IF EXISTS auth.request_otp(text, text, bytea, integer, integer);
DROP FUNCTION IF EXISTS auth.prove_phone(text, text, bytea, integer, bytea, integer);
DROP FUNCTION IF EXISTS auth.use_otp(text, text, bytea, integer);
DROP FUNCTION IF EXISTS auth.redeem_proof(bytea, text, text);
DROP FUNCTION IF EXISTS auth.add_contact(uuid, uuid, text, text, text);
DROP FUNCTION IF EXISTS auth.add_verified_phone(uuid, uuid, bytea, text);
DROP FUNCTION IF EXISTS auth.change_password(uuid, uuid, text, text);
DROP FUNCTION IF EXISTS auth.recheck_credentials(uuid, uuid, text);
