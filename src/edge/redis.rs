//! Redis through Spin's API: the access-token blacklist and event notices.
//! Spin opens a new TCP connection for every `Connection::open`, so a request
//! opens at most one, and only when it needs it.

use crate::core::ports::{Events, Revocations};
use crate::core::secret::Secret;
use spin_sdk::redis::{Connection, RedisParameter, RedisResult};

/// Blacklisted token ids live under this prefix until the token would expire.
const REVOKED_JTI_PREFIX: &str = "auth:revoked-jti:";

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

    fn connection(&mut self) -> Result<&Connection, String> {
        if self.connection.is_none() {
            let c = Connection::open(self.url.expose())
                .map_err(|e| format!("cannot connect to Redis: {e:?}"))?;
            self.connection = Some(c);
        }
        Ok(self.connection.as_ref().expect("opened above"))
    }
}

fn binary(s: &str) -> RedisParameter {
    RedisParameter::Binary(s.as_bytes().to_vec())
}

impl Events for Redis<'_> {
    fn publish(&mut self, channel: &str, payload: &[u8]) -> Result<(), String> {
        self.connection()?
            .publish(channel, payload)
            .map_err(|e| format!("publish failed: {e:?}"))
    }
}

impl Revocations for Redis<'_> {
    fn is_revoked(&mut self, jti: &str) -> Result<bool, String> {
        let key = format!("{REVOKED_JTI_PREFIX}{jti}");
        match self.connection()?.execute("EXISTS", &[binary(&key)]) {
            Ok(results) => match results.first() {
                Some(RedisResult::Int64(n)) => Ok(*n > 0),
                other => Err(format!("unexpected EXISTS reply {other:?}")),
            },
            Err(e) => Err(format!("EXISTS failed: {e:?}")),
        }
    }

    fn revoke(&mut self, jti: &str, ttl_seconds: u64) -> Result<(), String> {
        let key = format!("{REVOKED_JTI_PREFIX}{jti}");
        let ttl = i64::try_from(ttl_seconds).unwrap_or(i64::MAX);
        self.connection()?
            .execute(
                "SET",
                &[
                    binary(&key),
                    binary("1"),
                    binary("EX"),
                    RedisParameter::Int64(ttl),
                ],
            )
            .map(|_| ())
            .map_err(|e| format!("SET failed: {e:?}"))
    }
}
