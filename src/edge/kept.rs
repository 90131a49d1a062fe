//! Connections an instance keeps between requests. Under the p3 build Spin
//! reuses an instance for many requests (one after another, or several at
//! once), so a connection a request is done with waits here for the next
//! one instead of being closed: no TCP and no authentication per request.
//! Under p2 an instance ends with its request, and what waits here with it.
//!
//! Only a connection in a known clean state comes back: no transaction
//! open, no error seen on it (after one, its state is not known), no call
//! given up on. The others are dropped, which gives them back to Spin's
//! pool, not closed: `edge::postgres` says what makes that safe. The
//! stored functions set nothing that outlives their statement, so nothing
//! of one request reaches the next through a kept connection.

use crate::edge::host::{PgLink, RedisLink};
use std::cell::RefCell;
use std::thread::LocalKey;

/// More idle connections than this are closed: as many as requests an
/// instance serves at once is enough.
const MAX_IDLE: usize = 16;

thread_local! {
    static IDLE_PG: RefCell<Vec<PgLink>> = const { RefCell::new(Vec::new()) };
    static IDLE_REDIS: RefCell<Vec<RedisLink>> = const { RefCell::new(Vec::new()) };
}

pub fn take_pg() -> Option<PgLink> {
    take(&IDLE_PG)
}

pub fn keep_pg(link: PgLink) {
    keep(&IDLE_PG, link)
}

/// Lets go of every idle PostgreSQL connection: one of them was found
/// closed by the server, and after a restart or a failover so are the
/// others. They go back to Spin's pool, which drops the closed ones.
pub fn forget_pg() {
    IDLE_PG.with(|idle| idle.borrow_mut().clear());
}

pub fn take_redis() -> Option<RedisLink> {
    take(&IDLE_REDIS)
}

pub fn keep_redis(link: RedisLink) {
    keep(&IDLE_REDIS, link)
}

fn take<T>(idle: &'static LocalKey<RefCell<Vec<T>>>) -> Option<T> {
    idle.with(|idle| idle.borrow_mut().pop())
}

fn keep<T>(idle: &'static LocalKey<RefCell<Vec<T>>>, link: T) {
    idle.with(|idle| {
        let mut idle = idle.borrow_mut();
        if idle.len() < MAX_IDLE {
            idle.push(link);
        }
    });
}
