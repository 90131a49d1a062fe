CREATE OR REPLACE FUNCTION accounts.user_roles(p_user_id uuid)
 RETURNS text[]
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  RETURN (SELECT coalesce(array_agg(group_name ORDER BY group_name), '{}')
          FROM accounts.memberships WHERE user_id = p_user_id);
END
$function$;

COMMENT ON FUNCTION accounts.user_roles(uuid) IS
  'The user''s groups, sorted.';

REVOKE ALL ON FUNCTION accounts.user_roles(uuid) FROM PUBLIC;
