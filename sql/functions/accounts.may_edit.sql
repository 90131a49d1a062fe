CREATE OR REPLACE FUNCTION accounts.may_edit(p_caller uuid, p_target uuid)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  RETURN accounts.user_roles(p_target) <@ accounts.grantable_roles(p_caller);
END
$function$;

COMMENT ON FUNCTION accounts.may_edit(uuid,uuid) IS
  'Whether every role of the target is one the caller may grant (nobody edits a user above them).';

REVOKE ALL ON FUNCTION accounts.may_edit(uuid,uuid) FROM PUBLIC;
