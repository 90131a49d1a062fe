CREATE OR REPLACE FUNCTION auth.register(p_second_login text, p_phone text, p_email text, p_password_hash text, p_profile jsonb, p_group_names text[], p_interface text, p_refresh_seed bytea, p_session_ttl_seconds integer, p_user_agent text, p_client_ip text, p_outbox_retry_seconds integer, p_email_link_digest bytea, p_email_link_ttl_seconds integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
AS $function$
DECLARE
  v_event   auth.outbox;
  v_allowed text[];
  v_refused text[];
  v_made    jsonb;
  v_user_id uuid;
  v_created timestamptz;
  v_roles   text[];
  v_session auth.sessions;
  v_claimed boolean := false;
BEGIN
  IF NOT EXISTS (SELECT FROM accounts.interfaces WHERE name = p_interface) THEN
    RETURN jsonb_build_object('outcome', 'unknown_interface');
  END IF;

  SELECT coalesce(array_agg(group_name), '{}') INTO v_allowed
  FROM accounts.interface_self_registration WHERE interface_name = p_interface;
  v_refused := ARRAY(SELECT unnest(p_group_names) EXCEPT SELECT unnest(v_allowed) ORDER BY 1);
  IF cardinality(p_group_names) = 0 OR cardinality(v_refused) > 0 THEN
    RETURN jsonb_build_object('outcome', 'roles_not_allowed', 'roles', to_jsonb(v_refused));
  END IF;

  -- An email another account holds unverified never keeps its owner out
  -- (SPEC §2): the new account claims it by the link, and takes it when
  -- the link is followed; until then it holds no such contact.
  v_claimed := p_email IS NOT NULL AND EXISTS (
    SELECT FROM accounts.contacts
    WHERE contact_type = 'email' AND value = p_email AND is_active AND verified_at IS NULL);
  v_made := accounts.try_create_user(p_second_login, p_phone,
                                     CASE WHEN v_claimed THEN NULL ELSE p_email END,
                                     p_password_hash, p_profile, p_group_names, NULL);
  IF v_made ->> 'outcome' = 'taken' AND v_made ->> 'field' = 'email' AND NOT v_claimed
     AND EXISTS (SELECT FROM accounts.contacts
                 WHERE contact_type = 'email' AND value = p_email AND is_active
                   AND verified_at IS NULL) THEN
    -- A concurrent registration took it first, unverified: claimed as above.
    v_claimed := true;
    v_made := accounts.try_create_user(p_second_login, p_phone, NULL, p_password_hash,
                                       p_profile, p_group_names, NULL);
  END IF;
  IF v_made ->> 'outcome' = 'taken' THEN
    RETURN v_made;
  END IF;
  v_user_id := (v_made ->> 'user_id')::uuid;
  SELECT created_at INTO v_created FROM accounts.users WHERE id = v_user_id;
  v_roles := accounts.user_roles(v_user_id);
  -- A new user: no other session to evict, nobody else can hold the user yet.
  v_session := auth.insert_session(v_user_id, p_refresh_seed, p_session_ttl_seconds,
                                   p_user_agent, p_client_ip, '{pwd}', '{}');

  v_event := auth.write_user_registered(v_user_id, NULL, true);
  IF p_email IS NOT NULL AND p_email_link_digest IS NOT NULL THEN
    INSERT INTO auth.email_links (token_digest, purpose, user_id, email, expires_at)
    VALUES (p_email_link_digest, 'verify_email', v_user_id, p_email,
            now() + make_interval(secs => p_email_link_ttl_seconds));
  END IF;

  RETURN jsonb_build_object(
    'outcome', 'registered',
    'user_id', v_user_id,
    'created_at', v_created,
    'roles', to_jsonb(v_roles),
    'session_id', v_session.id,
    'session_expires_at', v_session.expires_at,
    'email_claimed', v_claimed,
    -- This event to announce, and any an earlier request could not.
    -- Its own event written already marked published (one round trip); the
    -- older ones are marked by the caller once they went out.
    'events', jsonb_build_array(auth.outbox_message(v_event))
              || auth.unpublished_events(p_outbox_retry_seconds, 10));
END
$function$;

COMMENT ON FUNCTION auth.register(text,text,text,text,jsonb,text[],text,bytea,integer,text,text,integer,bytea,integer) IS
  'Self-registration through an interface: creates the user, contacts, memberships, a session (p_refresh_seed: the per-session value of its refresh tokens) and the user.registered outbox event in one transaction; with an email, a verify_email link (p_email_link_digest, the SHA-256 of its token, valid p_email_link_ttl_seconds). An email someone holds unverified is not added but claimed (email_claimed: true): following the link takes it (auth.verify_email). Returns one of {outcome: registered, user_id, created_at, roles, session_id, session_expires_at, email_claimed, events} (events: the messages to announce on Redis: this registration''s user.registered, written already marked published (the caller gives it back with auth.mark_unpublished if Redis refused it), then up to 10 older ones unpublished for p_outbox_retry_seconds, which the caller marks with auth.mark_published once they went out), {outcome: taken, field} (field = the contact type already active for someone, also when a concurrent registration won the race), {outcome: unknown_interface}, {outcome: roles_not_allowed, roles} (the refused roles; empty when none were asked for).';

REVOKE ALL ON FUNCTION auth.register(text,text,text,text,jsonb,text[],text,bytea,integer,text,text,integer,bytea,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.register(text,text,text,text,jsonb,text[],text,bytea,integer,text,text,integer,bytea,integer) TO auth_service;
