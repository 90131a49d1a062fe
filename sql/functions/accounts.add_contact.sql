CREATE OR REPLACE FUNCTION accounts.add_contact(p_user_id uuid, p_contact_type text, p_value text)
 RETURNS uuid
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_id uuid;
  v_constraint text;
BEGIN
  INSERT INTO accounts.contacts (user_id, contact_type, value)
  VALUES (p_user_id, p_contact_type, p_value)
  RETURNING id INTO v_id;
  RETURN v_id;
EXCEPTION WHEN unique_violation THEN
  GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
  IF v_constraint <> 'contacts_active_value_key' THEN
    RAISE;
  END IF;
  -- Name the taken field, so the component can answer 409 with it.
  RAISE EXCEPTION USING
    ERRCODE = 'unique_violation',
    MESSAGE = format('this %s is already taken', p_contact_type),
    COLUMN = p_contact_type,
    CONSTRAINT = v_constraint;
END
$function$;

COMMENT ON FUNCTION accounts.add_contact(uuid,text,text) IS
  'Adds an active contact. A value active for someone else raises 23505 with COLUMN = the contact type.';

REVOKE ALL ON FUNCTION accounts.add_contact(uuid,text,text) FROM PUBLIC;
