-- Sessions, refresh tokens (only their SHA-256 is stored) and the outbox of
-- events that a CDC connector carries to Kafka (SPEC §5, §7).
SET LOCAL ROLE auth_owner;

CREATE TABLE auth.sessions (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id        uuid NOT NULL REFERENCES accounts.users (id) ON DELETE CASCADE,
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_used_at   timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL,
  revoked_at     timestamptz,
  revoked_reason text CHECK (revoked_reason IN ('logout', 'logout_all', 'evicted', 'reuse_detected',
                                                'password_changed', 'revoked_by_user')),
  user_agent     text CHECK (octet_length(user_agent) <= 512),
  client_ip      inet,
  CHECK (expires_at > created_at),
  CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
COMMENT ON COLUMN auth.sessions.expires_at IS 'Absolute expiry, fixed at sign-in; rotation never moves it.';
CREATE INDEX sessions_active_by_user_idx ON auth.sessions (user_id, created_at) WHERE revoked_at IS NULL;

CREATE TABLE auth.refresh_tokens (
  token_hash  bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
  session_id  uuid NOT NULL REFERENCES auth.sessions (id) ON DELETE CASCADE,
  issued_at   timestamptz NOT NULL DEFAULT now(),
  consumed_at timestamptz,
  replaced_by bytea
);
COMMENT ON COLUMN auth.refresh_tokens.token_hash IS 'SHA-256 of the opaque token; the token itself is never stored.';
CREATE INDEX refresh_tokens_session_idx ON auth.refresh_tokens (session_id);

CREATE TABLE auth.outbox (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_type   text NOT NULL,
  aggregate_id uuid NOT NULL,
  payload      jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE auth.outbox IS
  'Events written in the same transaction as the change they describe; read by a CDC connector (README, "Events").';
