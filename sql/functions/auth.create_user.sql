CREATE OR REPLACE FUNCTION auth.create_user(p_user_id uuid, p_session_id uuid, p_second_login text, p_phone text, p_email text, p_password_hash text, p_profile jsonb, p_group_names text[], p_organization_id uuid, p_outbox_retry_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
  v_org        uuid := p_organization_id;
  v_headed     uuid[];
  v_grantable  text[];
  v_refused    text[];
  v_made       jsonb;
  v_event      auth.outbox;
  v_events     jsonb;
  v_membership accounts.organization_members;
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  IF NOT accounts.is_staff(p_user_id) THEN
    -- A head creates only inside an organization it heads: the one it
    -- names, or the only one it heads.
    v_headed := accounts.headed_organizations(p_user_id);
    IF v_org IS NULL AND cardinality(v_headed) = 1 THEN
      v_org := v_headed[1];
    END IF;
    IF v_org IS NULL AND cardinality(v_headed) > 1 THEN
      RETURN jsonb_build_object('outcome', 'organization_required');
    END IF;
  END IF;
  IF v_org IS NULL THEN
    v_grantable := CASE WHEN accounts.is_staff(p_user_id)
                        THEN accounts.grantable_roles(p_user_id) ELSE '{}' END;
  ELSIF accounts.organization_standing(p_user_id, v_org) IN ('administers', 'heads')
        AND (SELECT is_active FROM accounts.organizations WHERE id = v_org) THEN
    v_grantable := accounts.grantable_in(p_user_id, v_org);
  ELSE
    RETURN jsonb_build_object('outcome', 'organization_out_of_reach');
  END IF;
  v_refused := ARRAY(SELECT unnest(p_group_names) EXCEPT SELECT unnest(v_grantable) ORDER BY 1);
  IF cardinality(p_group_names) = 0 OR cardinality(v_refused) > 0 THEN
    RETURN jsonb_build_object('outcome', 'roles_not_allowed', 'roles', to_jsonb(v_refused));
  END IF;

  v_made := accounts.try_create_user(p_second_login, p_phone, p_email, p_password_hash,
                                     p_profile, p_group_names, p_user_id);
  IF v_made ->> 'outcome' = 'taken' THEN
    RETURN v_made;
  END IF;
  v_event := auth.write_user_registered((v_made ->> 'user_id')::uuid, p_user_id);
  v_events := jsonb_build_array(auth.outbox_message(v_event));
  IF v_org IS NOT NULL THEN
    -- What a head creates joins its organization in the same transaction.
    INSERT INTO accounts.organization_members (organization_id, user_id, started_by)
    VALUES (v_org, v_event.aggregate_id, p_user_id)
    RETURNING * INTO v_membership;
    v_events := v_events || jsonb_build_array(auth.outbox_message(
      auth.write_membership_event('membership.started', v_membership, p_user_id)));
  END IF;

  RETURN jsonb_build_object(
    'outcome', 'created',
    'user', jsonb_build_object('id', v_event.aggregate_id,
                               'second_login', v_event.payload -> 'second_login',
                               'roles', v_event.payload -> 'roles', 'is_active', true,
                               'created_at', v_event.payload -> 'created_at',
                               'organization_id', v_org),
    'events', v_events || auth.unpublished_events(p_outbox_retry_seconds, 10));
END
$function$;

COMMENT ON FUNCTION auth.create_user(uuid,uuid,text,text,text,text,jsonb,text[],uuid,integer) IS
  'A signed-in grantor creates a user (normalized values, bcrypt hash) with roles they may grant now, and its user.registered event, in one transaction; with an organization (named, or a head''s only one) the user joins it in the same transaction (membership.started), and the roles must be grantable there. Staff create anywhere; a head only in an organization it heads. Returns {outcome: created, user, events}, {outcome: roles_not_allowed, roles}, {outcome: organization_required} (a head of several named none), {outcome: organization_out_of_reach} (not one the caller administers or heads, or inactive), {outcome: taken, field} or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.create_user(uuid,uuid,text,text,text,text,jsonb,text[],uuid,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.create_user(uuid,uuid,text,text,text,text,jsonb,text[],uuid,integer) TO auth_service;
