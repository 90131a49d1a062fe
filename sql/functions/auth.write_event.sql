CREATE OR REPLACE FUNCTION auth.write_event(p_event_type text, p_aggregate_id uuid, p_payload jsonb)
 RETURNS auth.outbox
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
  v_event auth.outbox;
BEGIN
  INSERT INTO auth.outbox (event_type, aggregate_id, payload)
  VALUES (p_event_type, p_aggregate_id, jsonb_strip_nulls(p_payload))
  RETURNING * INTO v_event;
  RETURN v_event;
END
$function$;

COMMENT ON FUNCTION auth.write_event(text,uuid,jsonb) IS
  'Writes one outbox row (null payload fields dropped) in the caller''s transaction and returns it, for auth.outbox_message.';

REVOKE ALL ON FUNCTION auth.write_event(text,uuid,jsonb) FROM PUBLIC;
