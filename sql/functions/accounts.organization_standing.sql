CREATE OR REPLACE FUNCTION accounts.organization_standing(p_user_id uuid, p_organization_id uuid)
 RETURNS text
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_head_group text;
BEGIN
  SELECT k.head_group INTO v_head_group
  FROM accounts.organizations o JOIN accounts.organization_kinds k ON k.name = o.kind
  WHERE o.id = p_organization_id;
  IF NOT FOUND THEN
    RETURN 'none';
  END IF;
  IF accounts.is_staff(p_user_id) THEN
    -- Staff who may appoint its heads administer it; other staff read it.
    RETURN CASE WHEN v_head_group = ANY (accounts.grantable_roles(p_user_id))
                THEN 'administers' ELSE 'reads' END;
  END IF;
  RETURN CASE WHEN p_organization_id = ANY (accounts.headed_organizations(p_user_id))
              THEN 'heads' ELSE 'none' END;
END
$function$;

COMMENT ON FUNCTION accounts.organization_standing(uuid,uuid) IS
  'What the user may do with an organization: administers (staff who may grant the role that heads its kind), heads (its active head), reads (other staff) or none (also for an unknown id: no existence oracle).';

REVOKE ALL ON FUNCTION accounts.organization_standing(uuid,uuid) FROM PUBLIC;
