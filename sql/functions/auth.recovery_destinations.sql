CREATE OR REPLACE FUNCTION auth.recovery_destinations(p_contact_type text, p_value text)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_user_id uuid;
BEGIN
  SELECT u.id INTO v_user_id
  FROM accounts.contacts c JOIN accounts.users u ON u.id = c.user_id
  WHERE c.contact_type = p_contact_type AND c.value = p_value AND c.is_active AND u.is_active;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'found', 'user_id', NULL, 'phone', NULL,
                              'emails', '[]'::jsonb);
  END IF;
  -- Only verified contacts receive recovery messages (SPEC §2); the five
  -- emails proved last, at most.
  RETURN jsonb_build_object(
    'outcome', 'found',
    'user_id', v_user_id,
    'phone', (SELECT value FROM accounts.contacts
              WHERE user_id = v_user_id AND contact_type = 'phone' AND is_active
                AND verified_at IS NOT NULL),
    'emails', coalesce((SELECT jsonb_agg(value) FROM (
                          SELECT value FROM accounts.contacts
                          WHERE user_id = v_user_id AND contact_type = 'email' AND is_active
                            AND verified_at IS NOT NULL
                          ORDER BY verified_at DESC LIMIT 5) e), '[]'::jsonb));
END
$function$;

COMMENT ON FUNCTION auth.recovery_destinations(text,text) IS
  'Where recovery messages for a login (contact type and normalized value) go: {outcome: found, user_id, phone, emails}: the active user''s verified phone (or null) and up to five verified emails; user_id null and nothing for a login nobody active holds. Reads only.';

REVOKE ALL ON FUNCTION auth.recovery_destinations(text,text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.recovery_destinations(text,text) TO auth_service;
