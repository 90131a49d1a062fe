CREATE OR REPLACE FUNCTION accounts.reaches(p_user_id uuid, p_target_id uuid)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  RETURN accounts.is_staff(p_user_id) OR EXISTS (
    SELECT FROM accounts.organization_members m
    WHERE m.user_id = p_target_id AND m.ended_at IS NULL
      AND m.organization_id = ANY (accounts.headed_organizations(p_user_id)));
END
$function$;

COMMENT ON FUNCTION accounts.reaches(uuid,uuid) IS
  'Whether the user may see the target at all: staff see everyone, a head the current members of the organizations it heads. Out of reach answers 404, so that nobody learns of users beyond it.';

REVOKE ALL ON FUNCTION accounts.reaches(uuid,uuid) FROM PUBLIC;
