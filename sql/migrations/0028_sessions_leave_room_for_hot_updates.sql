-- Every refresh updates its session's last_used_at (and organization_ids,
-- usually to the same value). No index covers last_used_at, so PostgreSQL
-- can update the row in place (a HOT update, no new entry in the table's
-- six indexes, the GIN one included) when the row's page has room; at the
-- default fillfactor of 100 pages fill up and most of those updates were
-- not HOT. Measured under Spin 4.1, p3 build, c16, two alternating rounds on
-- fresh databases: refresh +12–23 % (PostgreSQL CPU per refresh 0.48–0.55
-- -> 0.44 ms), logout +16 %. (That measurement also gave auth.refresh_tokens
-- fillfactor 80, left out here: its update sets consumed_at, which is
-- indexed, so it is never HOT.)
-- The setting applies to pages written from now on; an existing table gets
-- it everywhere after a rewrite (VACUUM FULL or pg_repack), at the owner's
-- convenience.
SET LOCAL ROLE auth_owner;

ALTER TABLE auth.sessions SET (fillfactor = 70);
