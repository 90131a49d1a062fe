CREATE OR REPLACE FUNCTION accounts.may_edit(p_caller uuid, p_target uuid)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  RETURN accounts.user_roles(p_target) <@ accounts.grantable_over(p_caller, p_target);
END
$function$;

COMMENT ON FUNCTION accounts.may_edit(uuid,uuid) IS
  'Whether every role of the target is one the caller may grant to them (accounts.grantable_over: nobody edits a user above them, a head only within the organizations it heads).';

REVOKE ALL ON FUNCTION accounts.may_edit(uuid,uuid) FROM PUBLIC;
