CREATE OR REPLACE FUNCTION auth.write_user_registered(p_user_id uuid, p_created_by uuid, p_announced boolean DEFAULT false)
 RETURNS auth.outbox
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
  v_event auth.outbox;
BEGIN
  INSERT INTO auth.outbox (event_type, aggregate_id, payload, published_at)
  SELECT 'user.registered', u.id, jsonb_strip_nulls(jsonb_build_object(
           'user_id', u.id,
           'second_login', (SELECT value FROM accounts.contacts
                            WHERE user_id = u.id AND contact_type = 'second_login' AND is_active),
           'roles', to_jsonb(accounts.user_roles(u.id)),
           'created_at', u.created_at,
           'created_by', p_created_by)),
         CASE WHEN p_announced THEN now() END
  FROM accounts.users u WHERE u.id = p_user_id
  RETURNING * INTO v_event;
  RETURN v_event;
END
$function$;

COMMENT ON FUNCTION auth.write_user_registered(uuid,uuid,boolean) IS
  'Writes the user.registered outbox row of a new user {user_id, second_login, roles, created_at, created_by (when a grantor made it)} and returns it; p_announced: written already marked published, for a caller that announces it after its commit and gives it back with auth.mark_unpublished if it could not.';

REVOKE ALL ON FUNCTION auth.write_user_registered(uuid,uuid,boolean) FROM PUBLIC;
