CREATE OR REPLACE FUNCTION accounts.is_staff(p_user_id uuid)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  RETURN EXISTS (SELECT FROM accounts.memberships m JOIN accounts.groups g ON g.name = m.group_name
                 WHERE m.user_id = p_user_id AND g.side = 'staff');
END
$function$;

COMMENT ON FUNCTION accounts.is_staff(uuid) IS
  'Whether the user holds a staff role (superadmin, support, manager).';

REVOKE ALL ON FUNCTION accounts.is_staff(uuid) FROM PUBLIC;
