CREATE OR REPLACE FUNCTION accounts.try_create_user(p_second_login text, p_phone text, p_email text, p_password_hash text, p_profile jsonb, p_group_names text[], p_granted_by uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_user_id uuid;
  v_kind    text;
  v_value   text;
BEGIN
  -- A new user has nothing to purge: their first sign-in skips retention.
  INSERT INTO accounts.users (password_hash, profile, retention_run_at)
  VALUES (p_password_hash, coalesce(p_profile, '{}'::jsonb), now())
  RETURNING id INTO v_user_id;

  -- No EXCEPTION block (each would start a subtransaction on every call):
  -- a value active for someone else, already or by a concurrent
  -- transaction that commits first, inserts nothing here, and what this
  -- attempt wrote is deleted again.
  FOR v_kind, v_value IN
    VALUES ('second_login', p_second_login), ('phone', p_phone), ('email', p_email)
  LOOP
    CONTINUE WHEN v_value IS NULL;
    INSERT INTO accounts.contacts (user_id, contact_type, value)
    VALUES (v_user_id, v_kind, v_value)
    ON CONFLICT (contact_type, value) WHERE is_active DO NOTHING;
    IF NOT FOUND THEN
      DELETE FROM accounts.contacts WHERE user_id = v_user_id;
      DELETE FROM accounts.users WHERE id = v_user_id;
      RETURN jsonb_build_object('outcome', 'taken', 'field', v_kind);
    END IF;
  END LOOP;

  INSERT INTO accounts.memberships (user_id, group_name, granted_by)
  SELECT v_user_id, g, p_granted_by FROM unnest(p_group_names) AS g;

  RETURN jsonb_build_object('outcome', 'created', 'user_id', v_user_id);
END
$function$;

COMMENT ON FUNCTION accounts.try_create_user(text,text,text,text,jsonb,text[],uuid) IS
  'Creates a user with login, phone, optional email (values arrive normalized) and group memberships (whether they may be granted is the caller''s check). Answers {outcome: created, user_id} or {outcome: taken, field} (a contact value active for someone else, also when a concurrent transaction won the race); nothing of a taken attempt remains.';

REVOKE ALL ON FUNCTION accounts.try_create_user(text,text,text,text,jsonb,text[],uuid) FROM PUBLIC;
