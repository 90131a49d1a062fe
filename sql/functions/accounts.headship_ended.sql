CREATE OR REPLACE FUNCTION accounts.headship_ended(p_user_id uuid, p_organization_id uuid)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_head_group text;
BEGIN
  SELECT k.head_group INTO v_head_group
  FROM accounts.organizations o JOIN accounts.organization_kinds k ON k.name = o.kind
  WHERE o.id = p_organization_id;
  -- The role that heads this kind goes, if appointing gave it, unless they
  -- still head another organization it heads (a new sign-in or refresh no
  -- longer names it).
  IF NOT EXISTS (SELECT FROM accounts.organization_members m
                 JOIN accounts.organizations o ON o.id = m.organization_id
                 JOIN accounts.organization_kinds k ON k.name = o.kind
                 WHERE m.user_id = p_user_id AND m.ended_at IS NULL
                   AND m.head_since IS NOT NULL AND k.head_group = v_head_group) THEN
    DELETE FROM accounts.memberships
    WHERE user_id = p_user_id AND group_name = v_head_group AND by_appointment;
  END IF;
  -- What they invited people to as its head, they no longer may.
  UPDATE accounts.organization_invitations SET status = 'withdrawn', closed_at = now()
  WHERE organization_id = p_organization_id AND invited_by = p_user_id AND status = 'pending';
  UPDATE accounts.users SET updated_at = now() WHERE id = p_user_id;
END
$function$;

COMMENT ON FUNCTION accounts.headship_ended(uuid,uuid) IS
  'Called once a user no longer heads an organization (dismissed, or their membership ended; the caller has already cleared the head mark or ended the membership and holds the user''s row): the role that heads its kind goes if appointing gave it and they head no other organization of a kind it heads, and their pending invitations into it are withdrawn.';

REVOKE ALL ON FUNCTION accounts.headship_ended(uuid,uuid) FROM PUBLIC;
