//! Redis through Spin's API. Spin opens a new TCP connection for every
//! `Connection::open`, so a request opens at most one, and only when it needs it.

use crate::core::ports::Events;
use crate::core::secret::Secret;
use spin_sdk::redis::Connection;

pub struct RedisEvents<'a> {
    url: &'a Secret<String>,
    connection: Option<Connection>,
}

impl<'a> RedisEvents<'a> {
    pub fn new(url: &'a Secret<String>) -> Self {
        RedisEvents {
            url,
            connection: None,
        }
    }

    fn connection(&mut self) -> Result<&Connection, String> {
        if self.connection.is_none() {
            let c = Connection::open(self.url.expose())
                .map_err(|e| format!("cannot connect to Redis: {e}"))?;
            self.connection = Some(c);
        }
        Ok(self.connection.as_ref().expect("opened above"))
    }
}

impl Events for RedisEvents<'_> {
    fn publish(&mut self, channel: &str, payload: &[u8]) -> Result<(), String> {
        self.connection()?
            .publish(channel, &payload.to_vec())
            .map_err(|e| format!("publish failed: {e}"))
    }
}
