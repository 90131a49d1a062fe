CREATE OR REPLACE FUNCTION accounts.create_user(p_second_login text, p_phone text, p_email text, p_password_hash text, p_profile jsonb, p_group_names text[], p_granted_by uuid)
 RETURNS uuid
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_user_id uuid;
BEGIN
  INSERT INTO accounts.users (password_hash, profile)
  VALUES (p_password_hash, coalesce(p_profile, '{}'::jsonb))
  RETURNING id INTO v_user_id;

  PERFORM accounts.add_contact(v_user_id, 'second_login', p_second_login);
  PERFORM accounts.add_contact(v_user_id, 'phone', p_phone);
  IF p_email IS NOT NULL THEN
    PERFORM accounts.add_contact(v_user_id, 'email', p_email);
  END IF;

  INSERT INTO accounts.memberships (user_id, group_name, granted_by)
  SELECT v_user_id, g, p_granted_by FROM unnest(p_group_names) AS g;

  RETURN v_user_id;
END
$function$;

COMMENT ON FUNCTION accounts.create_user(text,text,text,text,jsonb,text[],uuid) IS
  'Creates a user with login, phone, optional email and group memberships. Values arrive normalized; whether the groups may be granted is the caller''s check.';

REVOKE ALL ON FUNCTION accounts.create_user(text,text,text,text,jsonb,text[],uuid) FROM PUBLIC;
