//! What the core needs of Redis: the revocation record, the `/me` cache,
//! event announcements, readiness and the rate-limit counters.

use crate::core::abuse::{Forgiveness, Verdict, Window};
use crate::core::config::ConfigError;
use serde_json::Value;

/// What went wrong talking to Redis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheError {
    /// No connection (refused, not allowed, timed out).
    Unreachable(String),
    /// Its setting (`redis_url`) is missing or bad.
    Misconfigured(ConfigError),
    /// Connected, but the command failed or answered something unexpected.
    Failed(String),
}

impl std::fmt::Display for CacheError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CacheError::Unreachable(m) => write!(f, "Redis unreachable: {m}"),
            CacheError::Failed(m) => write!(f, "Redis command failed: {m}"),
            CacheError::Misconfigured(e) => write!(f, "Redis not configured: {e}"),
        }
    }
}

impl std::error::Error for CacheError {}

/// Where an access token stands, as far as Redis can tell. Redis only ever
/// refuses: what it holds of ended sessions may be lost (a flush, an
/// eviction, a restart from an older snapshot), so it never vouches for a
/// session by the absence of a key. Every handler past the guard checks the
/// session in PostgreSQL, except `/me` served from a cached answer that
/// PostgreSQL confirmed (`MeLookup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Redis knows of no end of this token or its session.
    NotKnownRevoked,
    /// The token was logged out, or its session ended.
    Revoked,
}

/// Sessions that end together, and the user they belong to.
pub struct Ending<'a> {
    pub user_id: &'a str,
    pub sessions: Vec<String>,
    /// The access token logged out, blacklisted too.
    pub blacklisted_jti: Option<&'a str>,
}

/// The access-token blacklist and the record of ended sessions (Redis):
/// what lets the guard refuse without PostgreSQL.
#[allow(async_fn_in_trait)]
pub trait Revocations {
    async fn standing(&mut self, jti: &str, session_id: &str) -> Result<Standing, CacheError>;
    /// Records `ending` for `ttl_seconds`: the sessions refused at once,
    /// their cached `/me` answers gone, and the user's fence moved so that
    /// no `/me` answer read before now can be cached after it.
    async fn record_ending(
        &mut self,
        ending: &Ending<'_>,
        ttl_seconds: u64,
    ) -> Result<(), CacheError>;
}

/// What a cached `/me` answer must match to be stored: the Redis process
/// (its run id, new after every restart or failover) and the user's fence
/// (moved by every change), both as they were before PostgreSQL was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeFence(pub String);

/// What the guard's round trip found for `/me`.
#[derive(Debug, Clone, PartialEq)]
pub enum MeLookup {
    Revoked,
    /// An answer PostgreSQL gave for this session, in this Redis process,
    /// with no change of the user or end of the session since.
    Fresh(Value),
    /// Nothing Redis can vouch for: ask PostgreSQL, then cache with the fence.
    Missing(MeFence),
}

/// `/me` answers kept in Redis per session for a short while, so `/me`
/// needs no PostgreSQL; they can never go back in time (see `MeFence`).
#[allow(async_fn_in_trait)]
pub trait MeCache {
    /// The guard's check and the cached answer, in one round trip.
    async fn standing_with_me(
        &mut self,
        jti: &str,
        session_id: &str,
        user_id: &str,
    ) -> Result<MeLookup, CacheError>;
    /// Stores `me` unless Redis restarted, the user changed or the session
    /// ended since `fence` was read; whether it was stored.
    async fn remember_me(
        &mut self,
        session_id: &str,
        user_id: &str,
        fence: &MeFence,
        me: &Value,
        ttl_seconds: u64,
    ) -> Result<bool, CacheError>;
    /// After a change to the user: every cached answer of theirs is stale.
    async fn forget_me(&mut self, user_id: &str) -> Result<(), CacheError>;
}

/// Where events are announced once they are committed.
#[allow(async_fn_in_trait)]
pub trait Events {
    async fn publish(&mut self, channel: &str, payload: &[u8]) -> Result<(), CacheError>;
}

/// Whether Redis answers (readiness).
#[allow(async_fn_in_trait)]
pub trait Reachable {
    async fn ping(&mut self) -> Result<(), CacheError>;
}

/// The counters of `core::abuse` (Redis).
#[allow(async_fn_in_trait)]
pub trait Throttle {
    /// Checks every window and, unless one refuses, counts the attempt in
    /// all of them — atomically, so concurrent attempts cannot slip past.
    async fn hit(&mut self, windows: &[Window]) -> Result<Verdict, CacheError>;
    /// Takes back what a successful login was counted for.
    async fn forgive(&mut self, forgiveness: &Forgiveness) -> Result<(), CacheError>;
    /// Whether `key` is new for the next `seconds` (set now if so): what is
    /// to happen once per window happens once, whichever instance asks.
    async fn first_in(&mut self, key: &str, seconds: u32) -> Result<bool, CacheError>;
}
