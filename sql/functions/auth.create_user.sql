CREATE OR REPLACE FUNCTION auth.create_user(p_user_id uuid, p_session_id uuid, p_second_login text, p_phone text, p_email text, p_password_hash text, p_profile jsonb, p_group_names text[], p_outbox_retry_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
  v_refused text[];
  v_made    jsonb;
  v_event   auth.outbox;
BEGIN
  IF NOT auth.session_is_active(p_user_id, p_session_id) THEN
    RETURN jsonb_build_object('outcome', 'session_inactive');
  END IF;
  v_refused := ARRAY(SELECT unnest(p_group_names)
                     EXCEPT SELECT unnest(accounts.grantable_roles(p_user_id)) ORDER BY 1);
  IF cardinality(p_group_names) = 0 OR cardinality(v_refused) > 0 THEN
    RETURN jsonb_build_object('outcome', 'roles_not_allowed', 'roles', to_jsonb(v_refused));
  END IF;

  v_made := accounts.try_create_user(p_second_login, p_phone, p_email, p_password_hash,
                                     p_profile, p_group_names, p_user_id);
  IF v_made ->> 'outcome' = 'taken' THEN
    RETURN v_made;
  END IF;
  v_event := auth.write_user_registered((v_made ->> 'user_id')::uuid, p_user_id);

  RETURN jsonb_build_object(
    'outcome', 'created',
    'user', jsonb_build_object('id', v_event.aggregate_id,
                               'second_login', v_event.payload -> 'second_login',
                               'roles', v_event.payload -> 'roles', 'is_active', true,
                               'created_at', v_event.payload -> 'created_at'),
    'events', jsonb_build_array(auth.outbox_message(v_event))
              || auth.unpublished_events(p_outbox_retry_seconds, 10));
END
$function$;

COMMENT ON FUNCTION auth.create_user(uuid,uuid,text,text,text,text,jsonb,text[],integer) IS
  'A signed-in grantor creates a user (normalized values, bcrypt hash) with roles they may grant now, and its user.registered event, in one transaction. Returns {outcome: created, user, events}, {outcome: roles_not_allowed, roles}, {outcome: taken, field} or {outcome: session_inactive}.';

REVOKE ALL ON FUNCTION auth.create_user(uuid,uuid,text,text,text,text,jsonb,text[],integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.create_user(uuid,uuid,text,text,text,text,jsonb,text[],integer) TO auth_service;
