//! Connections an instance keeps between requests. Under the p3 build Spin
//! reuses an instance for many requests (one after another, or several at
//! once), so a connection a request is done with waits here for the next
//! one instead of being closed: no TCP and no authentication per request.
//! Under p2 an instance ends with its request, and what waits here with it.
//!
//! Only a connection in a known clean state comes back: no transaction
//! open, no error seen on it (after one, its state is not known). The
//! stored functions set nothing that outlives their statement, so nothing
//! of one request reaches the next through a kept connection.

use crate::edge::host::{PgLink, RedisLink};
use std::cell::RefCell;

/// More idle connections than this are closed: as many as requests an
/// instance serves at once is enough.
const MAX_IDLE: usize = 16;

thread_local! {
    static IDLE_PG: RefCell<Vec<PgLink>> = const { RefCell::new(Vec::new()) };
    static IDLE_REDIS: RefCell<Vec<RedisLink>> = const { RefCell::new(Vec::new()) };
}

pub fn take_pg() -> Option<PgLink> {
    IDLE_PG.with(|idle| idle.borrow_mut().pop())
}

pub fn keep_pg(link: PgLink) {
    IDLE_PG.with(|idle| {
        let mut idle = idle.borrow_mut();
        if idle.len() < MAX_IDLE {
            idle.push(link);
        }
    });
}

pub fn take_redis() -> Option<RedisLink> {
    IDLE_REDIS.with(|idle| idle.borrow_mut().pop())
}

pub fn keep_redis(link: RedisLink) {
    IDLE_REDIS.with(|idle| {
        let mut idle = idle.borrow_mut();
        if idle.len() < MAX_IDLE {
            idle.push(link);
        }
    });
}
