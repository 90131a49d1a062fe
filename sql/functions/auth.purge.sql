CREATE OR REPLACE FUNCTION auth.purge(p_retention_days integer DEFAULT 30, p_batch integer DEFAULT 10000, p_keep_consumed_per_session integer DEFAULT 100)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_sessions integer;
  v_tokens   integer;
  v_codes    integer;
  v_proofs   integer;
  v_links    integer;
  v_challenges integer;
BEGIN
  IF p_retention_days < 1 OR p_batch < 1 OR p_keep_consumed_per_session < 1 THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = 'retention, batch and kept tokens must be positive';
  END IF;

  -- No index covers when a session ended (migration 0036: every sign-in
  -- would pay for it): this batch job scans for them.
  DELETE FROM auth.sessions
  WHERE id IN (SELECT id FROM auth.sessions
               WHERE coalesce(revoked_at, expires_at) < now() - make_interval(days => p_retention_days)
               LIMIT p_batch
               FOR UPDATE SKIP LOCKED);
  GET DIAGNOSTICS v_sessions = ROW_COUNT;

  DELETE FROM auth.refresh_tokens
  WHERE token_hash IN (
    SELECT token_hash FROM (
      SELECT token_hash, consumed_at,
             row_number() OVER (PARTITION BY session_id ORDER BY consumed_at DESC) AS newer
      FROM auth.refresh_tokens WHERE consumed_at IS NOT NULL) ranked
    WHERE newer > p_keep_consumed_per_session
       OR consumed_at < now() - make_interval(days => p_retention_days)
    LIMIT p_batch);
  GET DIAGNOSTICS v_tokens = ROW_COUNT;

  -- Phone codes and proofs past use for a day (a row per phone asked for,
  -- known or not: without this they would only grow).
  DELETE FROM auth.otp_codes
  WHERE (phone, purpose, owner) IN (SELECT phone, purpose, owner FROM auth.otp_codes
                             WHERE expires_at < now() - interval '1 day'
                             LIMIT p_batch FOR UPDATE SKIP LOCKED);
  GET DIAGNOSTICS v_codes = ROW_COUNT;
  DELETE FROM auth.otp_proofs
  WHERE proof_digest IN (SELECT proof_digest FROM auth.otp_proofs
                         WHERE expires_at < now() - interval '1 day'
                         LIMIT p_batch FOR UPDATE SKIP LOCKED);
  GET DIAGNOSTICS v_proofs = ROW_COUNT;
  -- Email links likewise (a claim on an address ends with its links).
  DELETE FROM auth.email_links
  WHERE token_digest IN (SELECT token_digest FROM auth.email_links
                         WHERE expires_at < now() - interval '1 day'
                         LIMIT p_batch FOR UPDATE SKIP LOCKED);
  GET DIAGNOSTICS v_links = ROW_COUNT;
  -- Second-factor challenges likewise.
  DELETE FROM auth.mfa_challenges
  WHERE token_digest IN (SELECT token_digest FROM auth.mfa_challenges
                         WHERE expires_at < now() - interval '1 day'
                         LIMIT p_batch FOR UPDATE SKIP LOCKED);
  GET DIAGNOSTICS v_challenges = ROW_COUNT;

  RETURN jsonb_build_object('sessions_deleted', v_sessions, 'refresh_tokens_deleted', v_tokens,
                            'phone_codes_deleted', v_codes + v_proofs,
                            'email_links_deleted', v_links,
                            'mfa_challenges_deleted', v_challenges);
END
$function$;

COMMENT ON FUNCTION auth.purge(integer,integer,integer) IS
  'Operator retention job (README, "Retention"): deletes at most p_batch sessions ended more than p_retention_days ago (their tokens go with them) and at most p_batch consumed refresh tokens that are older than that or beyond the newest p_keep_consumed_per_session of their session. It also deletes at most p_batch phone codes, p_batch proofs, p_batch email links and p_batch second-factor challenges expired for a day. Returns {sessions_deleted, refresh_tokens_deleted, phone_codes_deleted, email_links_deleted, mfa_challenges_deleted}; call it until all are 0.';

REVOKE ALL ON FUNCTION auth.purge(integer,integer,integer) FROM PUBLIC;
