//! Redis through Spin's API: the access-token blacklist and the record of
//! ended sessions (all the guard asks, in one round trip), `/me` answers
//! cached under a fence, the abuse counters and event notices. Spin opens a
//! new TCP connection for every `Connection::open`, so a request opens at
//! most one, only when it needs it, or uses one its instance kept from an
//! earlier request (`edge::kept`).

use crate::core::abuse::{Forgiveness, Verdict, Window};
use crate::core::config::Config;
use crate::core::ports::{
    CacheError, Ending, Events, MeCache, MeFence, MeLookup, Reachable, Revocations, Standing,
    Throttle,
};
use crate::edge::host::{redis_call_timed_out, RedisError, RedisLink, RedisParameter, RedisResult};
use crate::edge::kept;
use serde_json::Value;
use sha1::{Digest, Sha1};
use std::sync::OnceLock;

/// Blacklisted token ids live under this prefix until the token would expire.
const REVOKED_JTI_PREFIX: &str = "auth:revoked-jti:";
/// Ended sessions, refused at once for a while after they end. Losing one
/// only costs a trip to PostgreSQL: nothing is accepted for its absence.
const ENDED_SESSION_PREFIX: &str = "auth:ended-session:";
/// A session's cached `/me` answer: "<run id>:<fence>\n<json>".
const ME_PREFIX: &str = "auth:me:";
/// A user's fence: a random value replaced by every change of the user and
/// every end of one of their sessions.
const FENCE_PREFIX: &str = "auth:me-fence:";
/// How long a fence lasts unchanged (gone, it is set anew: what was cached
/// under the old one is simply not served).
const FENCE_SECONDS: i64 = 86_400;

/// KEYS: the token's blacklist key, its session's key, the session's cached
/// `/me` and the user's fence. Answers {1} when revoked, {0, the answer}
/// when a cached answer was stored in this Redis process (its run id, new
/// after a restart or failover) under the user's current fence, else {2,
/// the fence a new answer must be stored under}. Reads only.
static STANDING_WITH_ME_SCRIPT: Script =
    Script::new(include_str!("redis_scripts/standing_with_me.lua"));

/// KEYS: the session's ended key, its cached `/me`, the user's fence. ARGV:
/// the fence read before PostgreSQL was asked, the answer, its TTL, a fresh
/// fence and the fences' TTL. Stores the answer only if the fence is
/// unchanged (same Redis process, no change of the user, no end of one of
/// their sessions since) and the session is not known ended. A missing fence
/// is set, and nothing stored: the next request caches.
static REMEMBER_ME_SCRIPT: Script = Script::new(include_str!("redis_scripts/remember_me.lua"));

/// KEYS: per ended session its ended key and its cached `/me`, then the
/// user's fence, then (optionally) the blacklisted token's key. ARGV: the
/// number of sessions, the TTL, a fresh fence and the fences' TTL.
static RECORD_ENDING_SCRIPT: Script = Script::new(include_str!("redis_scripts/record_ending.lua"));

/// Checks every window, then counts the attempt in each, as one atomic step.
/// KEYS: per window its counter and its lock. ARGV: the number of windows,
/// then per window its limit, period and lock seconds (0: a rate limit).
/// Answers {1, 0} when counted, {0, seconds to wait} when refused.
static HIT_SCRIPT: Script = Script::new(
    r#"
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
"#,
);

/// Deletes the first ARGV[1] keys and decrements the others (never below 0).
static FORGIVE_SCRIPT: Script = Script::new(
    r#"
local d = tonumber(ARGV[1])
for i = 1, d do redis.call('DEL', KEYS[i]) end
for i = d + 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
return 1
"#,
);

/// A Lua script, sent by its SHA-1 (`EVALSHA`) once Redis has it: only a
/// Redis that lost its scripts (a restart) gets the body again (`EVAL`).
struct Script {
    body: &'static str,
    sha: OnceLock<String>,
}

impl Script {
    const fn new(body: &'static str) -> Script {
        Script {
            body,
            sha: OnceLock::new(),
        }
    }

    fn sha(&self) -> &str {
        self.sha.get_or_init(|| {
            Sha1::digest(self.body.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        })
    }
}

pub struct Redis<'a> {
    config: &'a Config,
    link: Option<Link>,
    /// A call of this request got no answer in time (p3): the rest of the
    /// request does not wait for Redis again.
    gave_up: bool,
}

struct Link {
    connection: RedisLink,
    /// Kept from an earlier request and not yet used by this one.
    from_earlier_request: bool,
    failed: bool,
}

impl<'a> Redis<'a> {
    /// Connects (and reads `redis_url`) only when first asked something.
    pub fn new(config: &'a Config) -> Self {
        Redis {
            config,
            link: None,
            gave_up: false,
        }
    }

    async fn link(&mut self) -> Result<&mut Link, CacheError> {
        if self.gave_up {
            return Err(CacheError::Unreachable(
                "no answer earlier in this request".into(),
            ));
        }
        if self.link.is_none() {
            let link = match kept::take_redis() {
                Some(connection) => Link {
                    connection,
                    from_earlier_request: true,
                    failed: false,
                },
                None => Link {
                    connection: self.open().await?,
                    from_earlier_request: false,
                    failed: false,
                },
            };
            self.link = Some(link);
        }
        Ok(self.link.as_mut().expect("set above"))
    }

    async fn open(&mut self) -> Result<RedisLink, CacheError> {
        let url = self.config.redis_url().map_err(CacheError::Misconfigured)?;
        RedisLink::open(url.expose()).await.map_err(|e| {
            self.gave_up |= redis_call_timed_out(&e);
            CacheError::Unreachable(describe(&e))
        })
    }

    /// One command. A kept connection that fails at its first use in this
    /// request (Redis restarted or closed it while it waited) is replaced
    /// by a new one and the command sent once more.
    async fn execute(
        &mut self,
        command: &str,
        args: &[RedisParameter],
    ) -> Result<Vec<RedisResult>, CacheError> {
        let link = self.link().await?;
        let reused = std::mem::replace(&mut link.from_earlier_request, false);
        let first = link.connection.execute(command, args).await;
        let answer = match first {
            Err(e) if reused && is_connection_lost(&e) => {
                let connection = self.open().await?;
                let link = self.link.insert(Link {
                    connection,
                    from_earlier_request: false,
                    failed: false,
                });
                link.connection.execute(command, args).await
            }
            other => other,
        };
        answer.map_err(|e| {
            // A script Redis does not have yet leaves the connection as it was.
            if let Some(link) = self.link.as_mut().filter(|_| !is_no_script(&e)) {
                link.failed = true;
            }
            self.gave_up |= redis_call_timed_out(&e);
            CacheError::Failed(format!("{command}: {}", describe(&e)))
        })
    }

    async fn eval(
        &mut self,
        script: &Script,
        keys: &[String],
        argv: &[i64],
    ) -> Result<Vec<RedisResult>, CacheError> {
        let argv: Vec<RedisParameter> = argv.iter().map(|a| RedisParameter::Int64(*a)).collect();
        self.eval_with(script, keys, argv).await
    }

    async fn eval_with(
        &mut self,
        script: &Script,
        keys: &[String],
        argv: Vec<RedisParameter>,
    ) -> Result<Vec<RedisResult>, CacheError> {
        let mut args = vec![
            binary(script.sha()),
            RedisParameter::Int64(keys.len() as i64),
        ];
        args.extend(keys.iter().map(|k| binary(k)));
        args.extend(argv);
        match self.execute("EVALSHA", &args).await {
            Err(CacheError::Failed(m)) if m.to_ascii_lowercase().contains("noscript") => {
                args[0] = binary(script.body);
                self.execute("EVAL", &args).await
            }
            answer => answer,
        }
    }
}

/// Redis answered that it does not have the script (`EVALSHA`): its
/// `NOSCRIPT` reply, which Spin's p2 host words as "NoScriptError".
fn is_no_script(e: &RedisError) -> bool {
    matches!(e, RedisError::Other(m) if m.to_ascii_lowercase().contains("noscript"))
}

/// The connection failed (not the command): worth a new connection. A
/// command Redis refused with an error reply is not.
fn is_connection_lost(e: &RedisError) -> bool {
    match e {
        RedisError::Other(m) => {
            !redis_call_timed_out(e)
                && [
                    "broken pipe",
                    "reset",
                    "closed",
                    "refused",
                    "eof",
                    "terminated",
                    "os error",
                ]
                .iter()
                .any(|sign| m.to_ascii_lowercase().contains(sign))
        }
        _ => false,
    }
}

/// A log line for a Redis error that leaves out the URL.
fn describe(e: &RedisError) -> String {
    match e {
        RedisError::InvalidAddress => "address invalid or not allowed".into(),
        RedisError::TooManyConnections => "too many connections".into(),
        RedisError::TypeError => "wrong type".into(),
        RedisError::Other(m) => m.clone(),
    }
}

/// A connection that saw no error waits for the next request.
impl Drop for Redis<'_> {
    fn drop(&mut self) {
        if let Some(link) = self.link.take() {
            if !link.failed {
                kept::keep_redis(link.connection);
            }
        }
    }
}

fn binary(s: &str) -> RedisParameter {
    RedisParameter::Binary(s.as_bytes().to_vec())
}

impl Events for Redis<'_> {
    async fn publish(&mut self, channel: &str, payload: &[u8]) -> Result<(), CacheError> {
        let link = self.link().await?;
        link.from_earlier_request = false;
        let sent = link.connection.publish(channel, payload).await;
        if let Err(e) = &sent {
            link.failed = true;
            self.gave_up |= redis_call_timed_out(e);
        }
        sent.map_err(|e| CacheError::Failed(format!("PUBLISH: {}", describe(&e))))
    }
}

impl Reachable for Redis<'_> {
    async fn ping(&mut self) -> Result<(), CacheError> {
        match self.execute("PING", &[]).await?.first() {
            Some(RedisResult::Status(s)) if s == "PONG" => Ok(()),
            other => Err(CacheError::Failed(format!(
                "PING answered {}",
                kinds_of(other.map(std::slice::from_ref).unwrap_or_default())
            ))),
        }
    }
}

/// A new fence value: 64 random bits.
fn fresh_fence() -> Result<String, CacheError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| CacheError::Failed(format!("random fence: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn seconds(ttl_seconds: u64) -> i64 {
    i64::try_from(ttl_seconds).unwrap_or(i64::MAX).max(1)
}

impl Revocations for Redis<'_> {
    async fn standing(&mut self, jti: &str, session_id: &str) -> Result<Standing, CacheError> {
        let keys = [
            binary(&format!("{REVOKED_JTI_PREFIX}{jti}")),
            binary(&format!("{ENDED_SESSION_PREFIX}{session_id}")),
        ];
        match self.execute("EXISTS", &keys).await?.as_slice() {
            [RedisResult::Int64(0)] => Ok(Standing::NotKnownRevoked),
            [RedisResult::Int64(_)] => Ok(Standing::Revoked),
            other => Err(CacheError::Failed(format!(
                "EXISTS answered {}",
                kinds_of(other)
            ))),
        }
    }

    async fn record_ending(
        &mut self,
        ending: &Ending<'_>,
        ttl_seconds: u64,
    ) -> Result<(), CacheError> {
        let mut keys: Vec<String> = ending
            .sessions
            .iter()
            .flat_map(|id| {
                [
                    format!("{ENDED_SESSION_PREFIX}{id}"),
                    format!("{ME_PREFIX}{id}"),
                ]
            })
            .collect();
        keys.push(format!("{FENCE_PREFIX}{}", ending.user_id));
        keys.extend(
            ending
                .blacklisted_jti
                .map(|jti| format!("{REVOKED_JTI_PREFIX}{jti}")),
        );
        let argv = vec![
            RedisParameter::Int64(ending.sessions.len() as i64),
            RedisParameter::Int64(seconds(ttl_seconds)),
            binary(&fresh_fence()?),
            RedisParameter::Int64(FENCE_SECONDS),
        ];
        self.eval_with(&RECORD_ENDING_SCRIPT, &keys, argv)
            .await
            .map(|_| ())
    }
}

impl MeCache for Redis<'_> {
    async fn standing_with_me(
        &mut self,
        jti: &str,
        session_id: &str,
        user_id: &str,
    ) -> Result<MeLookup, CacheError> {
        let keys = [
            format!("{REVOKED_JTI_PREFIX}{jti}"),
            format!("{ENDED_SESSION_PREFIX}{session_id}"),
            format!("{ME_PREFIX}{session_id}"),
            format!("{FENCE_PREFIX}{user_id}"),
        ];
        match self
            .eval(&STANDING_WITH_ME_SCRIPT, &keys, &[])
            .await?
            .as_slice()
        {
            [RedisResult::Int64(1)] => Ok(MeLookup::Revoked),
            // A cached answer that does not parse is as good as none; its
            // fence is unknown, so this request does not cache either.
            [RedisResult::Int64(0), RedisResult::Binary(me)] => Ok(serde_json::from_slice(me)
                .map(MeLookup::Fresh)
                .unwrap_or_else(|_| MeLookup::Missing(MeFence(String::new())))),
            [RedisResult::Int64(2), RedisResult::Binary(fence)] => Ok(MeLookup::Missing(MeFence(
                String::from_utf8_lossy(fence).into_owned(),
            ))),
            other => Err(CacheError::Failed(format!(
                "standing answered {}",
                kinds_of(other)
            ))),
        }
    }

    async fn remember_me(
        &mut self,
        session_id: &str,
        user_id: &str,
        fence: &MeFence,
        me: &Value,
        ttl_seconds: u64,
    ) -> Result<bool, CacheError> {
        let keys = [
            format!("{ENDED_SESSION_PREFIX}{session_id}"),
            format!("{ME_PREFIX}{session_id}"),
            format!("{FENCE_PREFIX}{user_id}"),
        ];
        let argv = vec![
            binary(&fence.0),
            RedisParameter::Binary(me.to_string().into_bytes()),
            RedisParameter::Int64(seconds(ttl_seconds)),
            binary(&fresh_fence()?),
            RedisParameter::Int64(FENCE_SECONDS),
        ];
        match self
            .eval_with(&REMEMBER_ME_SCRIPT, &keys, argv)
            .await?
            .as_slice()
        {
            [RedisResult::Int64(stored)] => Ok(*stored == 1),
            other => Err(CacheError::Failed(format!(
                "remember answered {}",
                kinds_of(other)
            ))),
        }
    }

    async fn forget_me(&mut self, user_id: &str) -> Result<(), CacheError> {
        self.execute(
            "SET",
            &[
                binary(&format!("{FENCE_PREFIX}{user_id}")),
                binary(&fresh_fence()?),
                binary("EX"),
                RedisParameter::Int64(FENCE_SECONDS),
            ],
        )
        .await
        .map(|_| ())
    }
}

impl Throttle for Redis<'_> {
    async fn hit(&mut self, windows: &[Window]) -> Result<Verdict, CacheError> {
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
        match self.eval(&HIT_SCRIPT, &keys, &argv).await?.as_slice() {
            [RedisResult::Int64(1), RedisResult::Int64(_)] => Ok(Verdict::Allowed),
            [RedisResult::Int64(0), RedisResult::Int64(wait)] => Ok(Verdict::Refused {
                retry_after_seconds: u32::try_from(*wait).unwrap_or(u32::MAX).max(1),
            }),
            other => Err(CacheError::Failed(format!(
                "throttle answered {}",
                kinds_of(other)
            ))),
        }
    }

    async fn forgive(&mut self, forgiveness: &Forgiveness) -> Result<(), CacheError> {
        let keys: Vec<String> = forgiveness
            .delete
            .iter()
            .chain(&forgiveness.decrement)
            .cloned()
            .collect();
        self.eval(&FORGIVE_SCRIPT, &keys, &[forgiveness.delete.len() as i64])
            .await
            .map(|_| ())
    }

    async fn first_in(&mut self, key: &str, seconds: u32) -> Result<bool, CacheError> {
        let args = [
            binary(key),
            binary("1"),
            binary("NX"),
            binary("EX"),
            binary(&seconds.to_string()),
        ];
        Ok(!matches!(
            self.execute("SET", &args).await?.as_slice(),
            [] | [RedisResult::Nil]
        ))
    }
}

/// The kinds of an unexpected Redis reply, for the log: never the reply
/// itself (a cached `/me` answer holds a login, a phone, an email).
fn kinds_of(replies: &[RedisResult]) -> String {
    let kinds: Vec<&str> = replies
        .iter()
        .map(|reply| match reply {
            RedisResult::Nil => "nil",
            RedisResult::Status(_) => "a status",
            RedisResult::Int64(_) => "an integer",
            RedisResult::Binary(_) => "bytes",
            #[allow(unreachable_patterns, reason = "p3's replies have kinds p2's lack")]
            _ => "another kind",
        })
        .collect();
    format!("[{}]", kinds.join(", "))
}
