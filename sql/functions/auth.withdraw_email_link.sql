CREATE OR REPLACE FUNCTION auth.withdraw_email_link(p_token_digest bytea)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  DELETE FROM auth.email_links WHERE token_digest = p_token_digest AND used_at IS NULL;
  RETURN jsonb_build_object('outcome', CASE WHEN FOUND THEN 'withdrawn' ELSE 'gone' END);
END
$function$;

COMMENT ON FUNCTION auth.withdraw_email_link(bytea) IS
  'Deletes a link the email gateway did not take (p_token_digest: SHA-256 of its token): it was never sent, so it is neither usable nor a reason to wait before asking again. Returns {outcome: withdrawn} or {outcome: gone}.';

REVOKE ALL ON FUNCTION auth.withdraw_email_link(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.withdraw_email_link(bytea) TO auth_service;
