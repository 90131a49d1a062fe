CREATE OR REPLACE FUNCTION auth.users_ended_now()
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  -- As auth.sessions_ended_now, by user.
  RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object('user_id', e.user_id, 'sessions', e.sessions)
                                    ORDER BY e.user_id), '[]'::jsonb)
          FROM (SELECT user_id, jsonb_agg(id ORDER BY id) AS sessions
                FROM auth.sessions WHERE revoked_at = now() GROUP BY user_id) e);
END
$function$;

COMMENT ON FUNCTION auth.users_ended_now() IS
  'The sessions ended by the current transaction, by user: [{user_id, sessions}], what the component mirrors to Redis before it commits when an act ends the sessions of several users.';

REVOKE ALL ON FUNCTION auth.users_ended_now() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.users_ended_now() TO auth_service;
