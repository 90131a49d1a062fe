CREATE OR REPLACE FUNCTION auth.contact_available(p_contact_type text, p_value text)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  RETURN NOT EXISTS (SELECT FROM accounts.contacts
                     WHERE contact_type = p_contact_type AND value = p_value AND is_active);
END
$function$;

COMMENT ON FUNCTION auth.contact_available(text,text) IS
  'Whether no active contact of that type holds the (normalized) value: a deactivated one is free again.';

REVOKE ALL ON FUNCTION auth.contact_available(text,text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.contact_available(text,text) TO auth_service;
