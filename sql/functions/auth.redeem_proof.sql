CREATE OR REPLACE FUNCTION auth.redeem_proof(p_proof_digest bytea, p_phone text, p_purpose text, p_user_id uuid)
 RETURNS boolean
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  UPDATE auth.otp_proofs SET used_at = now()
  WHERE proof_digest = p_proof_digest AND phone = p_phone AND purpose = p_purpose
    AND user_id IS NOT DISTINCT FROM p_user_id AND used_at IS NULL AND expires_at > now();
  RETURN FOUND;
END
$function$;

COMMENT ON FUNCTION auth.redeem_proof(bytea,text,text,uuid) IS
  'Uses up a one-time proof for this phone, purpose and user (NULL for a register proof; unused, unexpired), in the caller''s transaction: whether there was one. Concurrent redemptions take turns on the row: one wins.';

REVOKE ALL ON FUNCTION auth.redeem_proof(bytea,text,text,uuid) FROM PUBLIC;
