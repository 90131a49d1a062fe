CREATE OR REPLACE FUNCTION auth.outbox_message(p_event auth.outbox)
 RETURNS jsonb
 LANGUAGE plpgsql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  RETURN jsonb_build_object('event_id', p_event.event_id, 'type', p_event.event_type) || p_event.payload;
END
$function$;

COMMENT ON FUNCTION auth.outbox_message(auth.outbox) IS
  'The Redis message of an outbox row: {event_id, type} merged with its payload.';

REVOKE ALL ON FUNCTION auth.outbox_message(auth.outbox) FROM PUBLIC;
