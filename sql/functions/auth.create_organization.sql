CREATE OR REPLACE FUNCTION auth.create_organization(p_user_id uuid, p_session_id uuid, p_kind text, p_service_type text, p_name text, p_outbox_retry_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
  v_kind  accounts.organization_kinds;
  v_org   accounts.organizations;
  v_event auth.outbox;
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  SELECT * INTO v_kind FROM accounts.organization_kinds WHERE name = p_kind;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'unknown_kind');
  END IF;
  -- Staff who may appoint its heads create one: superadmin and manager.
  IF NOT (accounts.is_staff(p_user_id)
          AND v_kind.head_group = ANY (accounts.grantable_roles(p_user_id))) THEN
    RETURN jsonb_build_object('outcome', 'not_allowed');
  END IF;
  IF v_kind.has_service_type AND p_service_type IS NULL THEN
    RETURN jsonb_build_object('outcome', 'service_type_required');
  END IF;
  IF NOT v_kind.has_service_type AND p_service_type IS NOT NULL THEN
    RETURN jsonb_build_object('outcome', 'service_type_not_applicable');
  END IF;
  IF p_service_type IS NOT NULL
     AND NOT EXISTS (SELECT FROM accounts.service_types WHERE name = p_service_type) THEN
    RETURN jsonb_build_object('outcome', 'unknown_service_type');
  END IF;

  INSERT INTO accounts.organizations (kind, service_type, name, created_by)
  VALUES (p_kind, p_service_type, p_name, p_user_id)
  RETURNING * INTO v_org;
  v_event := auth.write_event('organization.created', v_org.id, jsonb_build_object(
    'organization_id', v_org.id, 'kind', v_org.kind, 'service_type', v_org.service_type,
    'name', v_org.name, 'created_by', p_user_id, 'created_at', v_org.created_at));
  RETURN jsonb_build_object(
    'outcome', 'created',
    'organization', accounts.organization_json(v_org),
    'events', jsonb_build_array(auth.outbox_message(v_event))
              || auth.unpublished_events(p_outbox_retry_seconds, 10));
END
$function$;

COMMENT ON FUNCTION auth.create_organization(uuid,uuid,text,text,text,integer) IS
  'Staff who may grant the role heading the kind create an organization (name arrives trimmed) and its organization.created event. Returns {outcome: created, organization, events}, {outcome: unknown_kind}, {outcome: not_allowed}, {outcome: service_type_required}, {outcome: service_type_not_applicable}, {outcome: unknown_service_type} or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.create_organization(uuid,uuid,text,text,text,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.create_organization(uuid,uuid,text,text,text,integer) TO auth_service;
