//! Redis through Spin's API: the access-token blacklist, the abuse counters
//! and event notices. Spin opens a new TCP connection for every
//! `Connection::open`, so a request opens at most one, and only when it needs it.

use crate::core::abuse::{Forgiveness, Verdict, Window};
use crate::core::ports::{CacheError, Events, Reachable, Revocations, Throttle};
use crate::core::secret::Secret;
use spin_sdk::redis::{Connection, Error, RedisParameter, RedisResult};

/// Blacklisted token ids live under this prefix until the token would expire.
const REVOKED_JTI_PREFIX: &str = "auth:revoked-jti:";

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
    url: &'a Secret<String>,
    connection: Option<Connection>,
}

impl<'a> Redis<'a> {
    pub fn new(url: &'a Secret<String>) -> Self {
        Redis {
            url,
            connection: None,
        }
    }

    fn connection(&mut self) -> Result<&Connection, CacheError> {
        if self.connection.is_none() {
            let c = Connection::open(self.url.expose())
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
    fn is_revoked(&mut self, jti: &str) -> Result<bool, CacheError> {
        let key = format!("{REVOKED_JTI_PREFIX}{jti}");
        match self.execute("EXISTS", &[binary(&key)])?.first() {
            Some(RedisResult::Int64(n)) => Ok(*n > 0),
            other => Err(CacheError::Failed(format!("EXISTS answered {other:?}"))),
        }
    }

    fn revoke(&mut self, jti: &str, ttl_seconds: u64) -> Result<(), CacheError> {
        let key = format!("{REVOKED_JTI_PREFIX}{jti}");
        let ttl = i64::try_from(ttl_seconds).unwrap_or(i64::MAX);
        self.execute(
            "SET",
            &[
                binary(&key),
                binary("1"),
                binary("EX"),
                RedisParameter::Int64(ttl),
            ],
        )
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
