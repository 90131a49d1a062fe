-- Creating users and their contacts. Internal building blocks: the API
-- functions (auth.register now, user creation by staff later) call them.
SET LOCAL ROLE auth_owner;

CREATE FUNCTION accounts.add_contact(p_user_id uuid, p_contact_type text, p_value text)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;
COMMENT ON FUNCTION accounts.add_contact(uuid, text, text) IS
  'Adds an active contact. A value active for someone else raises 23505 with COLUMN = the contact type.';

CREATE FUNCTION accounts.create_user(
  p_second_login  text,
  p_phone         text,
  p_email         text,
  p_password_hash text,
  p_profile       jsonb,
  p_group_names   text[],
  p_granted_by    uuid
)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;
COMMENT ON FUNCTION accounts.create_user(text, text, text, text, jsonb, text[], uuid) IS
  'Creates a user with login, phone, optional email and group memberships. Values arrive normalized; '
  'whether the groups may be granted is the caller''s check.';

CREATE FUNCTION accounts.user_roles(p_user_id uuid)
RETURNS text[]
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(array_agg(group_name ORDER BY group_name), '{}')
  FROM accounts.memberships WHERE user_id = p_user_id
$$;
COMMENT ON FUNCTION accounts.user_roles(uuid) IS 'The user''s groups, sorted.';
