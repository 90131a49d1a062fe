-- A registration's user.registered row is written already marked published
-- (auth.write_user_registered's p_announced): the component announces it on
-- Redis after the commit and gives it back only if Redis refused it, so a
-- registration is one round trip (issue 30; docs/events.md says what this
-- changes for Redis listeners).
SET LOCAL ROLE auth_owner;

DROP FUNCTION IF EXISTS auth.write_user_registered(uuid,uuid);
