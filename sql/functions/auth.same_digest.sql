CREATE OR REPLACE FUNCTION auth.same_digest(p_stored bytea, p_given bytea)
 RETURNS boolean
 LANGUAGE plpgsql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  v_different integer;
BEGIN
  IF octet_length(p_stored) IS DISTINCT FROM 32 OR octet_length(p_given) IS DISTINCT FROM 32 THEN
    RETURN false;
  END IF;
  -- Every byte compared, whatever differs first: no timing to learn from.
  SELECT bit_or(get_byte(p_stored, i) # get_byte(p_given, i))
  INTO v_different FROM generate_series(0, 31) AS i;
  RETURN v_different = 0;
END
$function$;

COMMENT ON FUNCTION auth.same_digest(bytea,bytea) IS
  'Whether two 32-byte digests (a stored code''s and a tried one''s) are equal, compared in constant time; false when either is not 32 bytes.';

REVOKE ALL ON FUNCTION auth.same_digest(bytea,bytea) FROM PUBLIC;
