CREATE OR REPLACE FUNCTION accounts.create_first_superadmin(p_second_login text, p_phone text, p_email text, p_password_hash text)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
  v_made jsonb;
BEGIN
  -- One operator at a time: two runs cannot both find "none yet".
  PERFORM pg_advisory_xact_lock(hashtext('accounts.create_first_superadmin'));
  IF EXISTS (SELECT FROM accounts.memberships m JOIN accounts.users u ON u.id = m.user_id
             WHERE m.group_name = 'superadmin' AND u.is_active) THEN
    RETURN jsonb_build_object('outcome', 'superadmin_exists');
  END IF;
  IF p_second_login !~ '^[a-z][a-z0-9._-]{2,63}$' THEN
    RETURN jsonb_build_object('outcome', 'invalid', 'field', 'second_login');
  END IF;
  IF p_phone !~ '^\+[1-9][0-9]{6,14}$' THEN
    RETURN jsonb_build_object('outcome', 'invalid', 'field', 'phone');
  END IF;
  IF p_email IS NOT NULL AND p_email !~ '^[^@\s]+@[^@\s]+\.[a-z]{2,}$' THEN
    RETURN jsonb_build_object('outcome', 'invalid', 'field', 'email');
  END IF;

  v_made := accounts.try_create_user(p_second_login, p_phone, p_email, p_password_hash,
                                     '{}'::jsonb, ARRAY['superadmin'], NULL);
  IF v_made ->> 'outcome' = 'created' THEN
    PERFORM auth.write_user_registered((v_made ->> 'user_id')::uuid, NULL);
  END IF;
  RETURN v_made;
END
$function$;

COMMENT ON FUNCTION accounts.create_first_superadmin(text,text,text,text) IS
  'Operator command (sql/create-superadmin): creates the first superadmin from normalized values and a bcrypt hash, with its user.registered event. Returns {outcome: created, user_id}, {outcome: superadmin_exists}, {outcome: taken, field} or {outcome: invalid, field}. Not callable by the service.';

REVOKE ALL ON FUNCTION accounts.create_first_superadmin(text,text,text,text) FROM PUBLIC;
