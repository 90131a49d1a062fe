CREATE OR REPLACE FUNCTION accounts.try_create_user(p_second_login text, p_phone text, p_email text, p_password_hash text, p_profile jsonb, p_group_names text[], p_granted_by uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_field      text;
  v_constraint text;
BEGIN
  RETURN jsonb_build_object('outcome', 'created', 'user_id',
    accounts.create_user(p_second_login, p_phone, p_email, p_password_hash, p_profile,
                         p_group_names, p_granted_by));
EXCEPTION WHEN unique_violation THEN
  -- Taken before we came, or by a concurrent transaction that committed
  -- first: the same answer either way. add_contact names the contact type.
  GET STACKED DIAGNOSTICS v_field = COLUMN_NAME, v_constraint = CONSTRAINT_NAME;
  IF v_constraint IS DISTINCT FROM 'contacts_active_value_key' THEN
    RAISE;
  END IF;
  RETURN jsonb_build_object('outcome', 'taken', 'field', v_field);
END
$function$;

COMMENT ON FUNCTION accounts.try_create_user(text,text,text,text,jsonb,text[],uuid) IS
  'accounts.create_user, answering {outcome: created, user_id} or {outcome: taken, field} (a contact value active for someone else); nothing of a taken attempt remains.';

REVOKE ALL ON FUNCTION accounts.try_create_user(text,text,text,text,jsonb,text[],uuid) FROM PUBLIC;
