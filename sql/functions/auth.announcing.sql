CREATE OR REPLACE FUNCTION auth.announcing(p_messages jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  -- Marked in the transaction that writes them, so a registration is one
  -- round trip: the caller announces them on Redis after the commit and
  -- calls auth.mark_unpublished for any it could not. The outbox, read by
  -- CDC, is the durable path either way; a request that dies between the
  -- commit and the announcement loses only the Redis notice.
  IF jsonb_array_length(p_messages) = 0 THEN
    RETURN p_messages;
  END IF;
  UPDATE auth.outbox SET published_at = now()
  WHERE event_id = ANY (ARRAY(SELECT (m ->> 'event_id')::uuid
                              FROM jsonb_array_elements(p_messages) m))
    AND published_at IS NULL;
  RETURN p_messages;
END
$function$;

COMMENT ON FUNCTION auth.announcing(jsonb) IS
  'Marks the outbox events of p_messages (auth.outbox_message values) published, in the caller''s transaction, and returns them: the caller announces them after the commit and gives back what it could not with auth.mark_unpublished.';

REVOKE ALL ON FUNCTION auth.announcing(jsonb) FROM PUBLIC;
