CREATE OR REPLACE FUNCTION auth.withdraw_otp(p_phone text, p_purpose text, p_code_digest bytea)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  DELETE FROM auth.otp_codes
  WHERE phone = p_phone AND purpose = p_purpose AND code_digest = p_code_digest;
  RETURN jsonb_build_object('outcome', CASE WHEN FOUND THEN 'withdrawn' ELSE 'gone' END);
END
$function$;

COMMENT ON FUNCTION auth.withdraw_otp(text,text,bytea) IS
  'Deletes a code the SMS gateway did not take (it was never sent, so it is neither usable nor a reason to wait before asking again). Returns {outcome: withdrawn} or {outcome: gone} (replaced or used meanwhile).';

REVOKE ALL ON FUNCTION auth.withdraw_otp(text,text,bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.withdraw_otp(text,text,bytea) TO auth_service;
