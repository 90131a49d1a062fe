//! Redis through Spin's API: the access-token blacklist and the mirror of
//! ended sessions (all the guard asks, in one round trip), the abuse
//! counters and event notices. Spin opens a new TCP connection for every
//! `Connection::open`, so a request opens at most one, and only when it needs it.

use crate::core::abuse::{Forgiveness, Verdict, Window};
use crate::core::config::Config;
use crate::core::ports::{CacheError, Events, MeCache, Reachable, Revocations, Standing, Throttle};
use serde_json::Value;
use spin_sdk::redis::{Connection, Error, RedisParameter, RedisResult};

/// Blacklisted token ids live under this prefix until the token would expire.
const REVOKED_JTI_PREFIX: &str = "auth:revoked-jti:";
/// Ended sessions, for one access-token lifetime after they end.
const ENDED_SESSION_PREFIX: &str = "auth:ended-session:";
/// Present while the mirror of ended sessions is whole: set when it is
/// copied back from PostgreSQL, gone when Redis loses its data.
const MIRROR_WHOLE_KEY: &str = "auth:ended-sessions-mirrored";

/// Cached `/me` answers, for a short while.
const ME_PREFIX: &str = "auth:me:";

/// KEYS: the mirror mark, the token's blacklist key, its session's key and,
/// optionally, a cached `/me` answer to read along. Answers {2} when the
/// mirror is missing, {1} when revoked, {0, the cached answer or nil} when good.
const STANDING_SCRIPT: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return {2} end
if redis.call('EXISTS', KEYS[2], KEYS[3]) > 0 then return {1} end
if KEYS[4] then return {0, redis.call('GET', KEYS[4])} end
return {0}
"#;

/// Sets every KEY to 1 for ARGV[1] seconds; with ARGV[2] = 1 the last KEY is
/// the mirror mark instead, set for good in the same atomic step.
const MIRROR_SCRIPT: &str = r#"
local n = #KEYS
if ARGV[2] == '1' then
  redis.call('SET', KEYS[n], '1')
  n = n - 1
end
for i = 1, n do redis.call('SET', KEYS[i], '1', 'EX', ARGV[1]) end
return n
"#;

/// Checks every window, then counts the attempt in each, as one atomic step.
/// KEYS: per window its counter and its lock. ARGV: the number of windows,
/// then per window its limit, period and lock seconds (0: a rate limit).
/// Answers {1, 0} when counted, {0, seconds to wait} when refused.
const HIT_SCRIPT: &str = r#"
local n = tonumber(ARGV[1])
local wait = 0
for i = 1, n do
  local counter, lock = KEYS[2 * i - 1], KEYS[2 * i]
  local limit, lock_seconds = tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i + 1])
  local ttl = redis.call('PTTL', lock)
  if ttl > wait then wait = ttl end
  if lock_seconds == 0 and tonumber(redis.call('GET', counter) or '0') >= limit then
    ttl = redis.call('PTTL', counter)
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return {0, math.ceil(wait / 1000)} end
for i = 1, n do
  local counter, lock = KEYS[2 * i - 1], KEYS[2 * i]
  local limit, period, lock_seconds =
    tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1])
  local count = redis.call('INCR', counter)
  if count == 1 then redis.call('EXPIRE', counter, period) end
  if lock_seconds > 0 and count >= limit then
    redis.call('SET', lock, '1', 'EX', lock_seconds)
  end
end
return {1, 0}
"#;

/// Deletes the first ARGV[1] keys and decrements the others (never below 0).
const FORGIVE_SCRIPT: &str = r#"
local d = tonumber(ARGV[1])
for i = 1, d do redis.call('DEL', KEYS[i]) end
for i = d + 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
return 1
"#;

pub struct Redis<'a> {
    config: &'a Config,
    connection: Option<Connection>,
}

impl<'a> Redis<'a> {
    /// Connects (and reads `redis_url`) only when first asked something.
    pub fn new(config: &'a Config) -> Self {
        Redis {
            config,
            connection: None,
        }
    }

    fn connection(&mut self) -> Result<&Connection, CacheError> {
        if self.connection.is_none() {
            let url = self.config.redis_url().map_err(CacheError::Misconfigured)?;
            let c = Connection::open(url.expose())
                .map_err(|e| CacheError::Unreachable(describe(&e)))?;
            self.connection = Some(c);
        }
        Ok(self.connection.as_ref().expect("opened above"))
    }

    fn execute(
        &mut self,
        command: &str,
        args: &[RedisParameter],
    ) -> Result<Vec<RedisResult>, CacheError> {
        self.connection()?
            .execute(command, args)
            .map_err(|e| CacheError::Failed(format!("{command}: {}", describe(&e))))
    }

    fn eval(
        &mut self,
        script: &str,
        keys: &[String],
        argv: &[i64],
    ) -> Result<Vec<RedisResult>, CacheError> {
        let mut args = vec![binary(script), RedisParameter::Int64(keys.len() as i64)];
        args.extend(keys.iter().map(|k| binary(k)));
        args.extend(argv.iter().map(|a| RedisParameter::Int64(*a)));
        self.execute("EVAL", &args)
    }
}

/// A log line for a Redis error that leaves out the URL.
fn describe(e: &Error) -> String {
    match e {
        Error::InvalidAddress => "address invalid or not allowed".into(),
        Error::TooManyConnections => "too many connections".into(),
        Error::TypeError => "wrong type".into(),
        Error::Other(m) => m.clone(),
    }
}

fn binary(s: &str) -> RedisParameter {
    RedisParameter::Binary(s.as_bytes().to_vec())
}

impl Events for Redis<'_> {
    fn publish(&mut self, channel: &str, payload: &[u8]) -> Result<(), CacheError> {
        self.connection()?
            .publish(channel, payload)
            .map_err(|e| CacheError::Failed(format!("PUBLISH: {}", describe(&e))))
    }
}

impl Reachable for Redis<'_> {
    fn ping(&mut self) -> Result<(), CacheError> {
        match self.execute("PING", &[])?.first() {
            Some(RedisResult::Status(s)) if s == "PONG" => Ok(()),
            other => Err(CacheError::Failed(format!("PING answered {other:?}"))),
        }
    }
}

impl Revocations for Redis<'_> {
    fn standing(
        &mut self,
        jti: &str,
        session_id: &str,
        cached_me_of: Option<&str>,
    ) -> Result<(Standing, Option<Value>), CacheError> {
        let mut keys = vec![
            MIRROR_WHOLE_KEY.to_string(),
            format!("{REVOKED_JTI_PREFIX}{jti}"),
            format!("{ENDED_SESSION_PREFIX}{session_id}"),
        ];
        keys.extend(cached_me_of.map(|user_id| format!("{ME_PREFIX}{user_id}")));
        match self.eval(STANDING_SCRIPT, &keys, &[])?.as_slice() {
            [RedisResult::Int64(0)] | [RedisResult::Int64(0), RedisResult::Nil] => {
                Ok((Standing::Good, None))
            }
            // A cached answer that does not parse is as good as none.
            [RedisResult::Int64(0), RedisResult::Binary(me)] => {
                Ok((Standing::Good, serde_json::from_slice(me).ok()))
            }
            [RedisResult::Int64(1), ..] => Ok((Standing::Revoked, None)),
            [RedisResult::Int64(2), ..] => Ok((Standing::MirrorMissing, None)),
            other => Err(CacheError::Failed(format!("standing answered {other:?}"))),
        }
    }

    fn mirror(
        &mut self,
        ended_sessions: &[String],
        blacklisted_jti: Option<&str>,
        ttl_seconds: u64,
    ) -> Result<(), CacheError> {
        let mut keys: Vec<String> = ended_sessions
            .iter()
            .map(|id| format!("{ENDED_SESSION_PREFIX}{id}"))
            .collect();
        keys.extend(blacklisted_jti.map(|jti| format!("{REVOKED_JTI_PREFIX}{jti}")));
        if keys.is_empty() {
            return Ok(());
        }
        self.set_all(keys, ttl_seconds, false)
    }

    fn restore(&mut self, ended_sessions: &[String], ttl_seconds: u64) -> Result<(), CacheError> {
        let keys: Vec<String> = ended_sessions
            .iter()
            .map(|id| format!("{ENDED_SESSION_PREFIX}{id}"))
            .collect();
        self.set_all(keys, ttl_seconds, true)
    }
}

impl Redis<'_> {
    fn set_all(
        &mut self,
        mut keys: Vec<String>,
        ttl_seconds: u64,
        whole: bool,
    ) -> Result<(), CacheError> {
        let ttl = i64::try_from(ttl_seconds).unwrap_or(i64::MAX).max(1);
        if whole {
            keys.push(MIRROR_WHOLE_KEY.to_string());
        }
        self.eval(MIRROR_SCRIPT, &keys, &[ttl, i64::from(whole)])
            .map(|_| ())
    }
}

impl MeCache for Redis<'_> {
    fn remember_me(
        &mut self,
        user_id: &str,
        me: &Value,
        ttl_seconds: u64,
    ) -> Result<(), CacheError> {
        let ttl = i64::try_from(ttl_seconds).unwrap_or(i64::MAX).max(1);
        self.execute(
            "SET",
            &[
                binary(&format!("{ME_PREFIX}{user_id}")),
                RedisParameter::Binary(me.to_string().into_bytes()),
                binary("EX"),
                RedisParameter::Int64(ttl),
            ],
        )
        .map(|_| ())
    }

    fn forget_me(&mut self, user_id: &str) -> Result<(), CacheError> {
        self.execute("DEL", &[binary(&format!("{ME_PREFIX}{user_id}"))])
            .map(|_| ())
    }
}

impl Throttle for Redis<'_> {
    fn hit(&mut self, windows: &[Window]) -> Result<Verdict, CacheError> {
        let keys: Vec<String> = windows
            .iter()
            .flat_map(|w| [w.key.clone(), w.lock_key()])
            .collect();
        let mut argv = vec![windows.len() as i64];
        for w in windows {
            argv.extend([
                i64::from(w.limit),
                i64::from(w.period_seconds),
                i64::from(w.lock_seconds),
            ]);
        }
        match self.eval(HIT_SCRIPT, &keys, &argv)?.as_slice() {
            [RedisResult::Int64(1), RedisResult::Int64(_)] => Ok(Verdict::Allowed),
            [RedisResult::Int64(0), RedisResult::Int64(wait)] => Ok(Verdict::Refused {
                retry_after_seconds: u32::try_from(*wait).unwrap_or(u32::MAX).max(1),
            }),
            other => Err(CacheError::Failed(format!("throttle answered {other:?}"))),
        }
    }

    fn forgive(&mut self, forgiveness: &Forgiveness) -> Result<(), CacheError> {
        let keys: Vec<String> = forgiveness
            .delete
            .iter()
            .chain(&forgiveness.decrement)
            .cloned()
            .collect();
        self.eval(FORGIVE_SCRIPT, &keys, &[forgiveness.delete.len() as i64])
            .map(|_| ())
    }
}
