//! `fermyon:spin/redis@2.0.0` over real Redis. As in Spin, every
//! `Connection::open` makes a new TCP connection (there is no pool), an address
//! outside `allowed_outbound_hosts` is `invalid-address`, and failures of the
//! server come back as `other(message)`.

use crate::bindings::fermyon::spin::redis::{self as r, Error, RedisParameter, RedisResult};
use crate::state::RequestState;
use redis::aio::MultiplexedConnection;
use redis::{AsyncCommands, FromRedisValue, Value};
use wasmtime::component::Resource;

pub struct RedisConnection {
    conn: MultiplexedConnection,
}

fn other(e: redis::RedisError) -> Error {
    Error::Other(e.to_string())
}

impl RequestState {
    fn redis(&self, c: &Resource<RedisConnection>) -> Result<MultiplexedConnection, Error> {
        self.table
            .get(c)
            .map(|c| c.conn.clone())
            .map_err(|_| Error::Other("could not find connection for resource".into()))
    }
}

impl r::Host for RequestState {}

impl r::HostConnection for RequestState {
    async fn open(&mut self, address: String) -> Result<Resource<RedisConnection>, Error> {
        if !self.services.allowed_hosts.allows(&address, "redis") {
            return Err(Error::InvalidAddress);
        }
        let client = redis::Client::open(address.as_str()).map_err(|_| Error::InvalidAddress)?;
        let conn = client
            .get_multiplexed_async_connection()
            .await
            .map_err(other)?;
        self.table
            .push(RedisConnection { conn })
            .map_err(|_| Error::TooManyConnections)
    }

    async fn publish(
        &mut self,
        c: Resource<RedisConnection>,
        channel: String,
        payload: Vec<u8>,
    ) -> Result<(), Error> {
        let mut conn = self.redis(&c)?;
        conn.publish::<_, _, ()>(&channel, &payload)
            .await
            .map_err(other)
    }

    async fn get(
        &mut self,
        c: Resource<RedisConnection>,
        key: String,
    ) -> Result<Option<Vec<u8>>, Error> {
        let mut conn = self.redis(&c)?;
        conn.get(&key).await.map_err(other)
    }

    async fn set(
        &mut self,
        c: Resource<RedisConnection>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), Error> {
        let mut conn = self.redis(&c)?;
        conn.set::<_, _, ()>(&key, &value).await.map_err(other)
    }

    async fn incr(&mut self, c: Resource<RedisConnection>, key: String) -> Result<i64, Error> {
        let mut conn = self.redis(&c)?;
        conn.incr(&key, 1).await.map_err(|e| match e.kind() {
            redis::ErrorKind::TypeError => Error::TypeError,
            _ => other(e),
        })
    }

    async fn del(&mut self, c: Resource<RedisConnection>, keys: Vec<String>) -> Result<u32, Error> {
        let mut conn = self.redis(&c)?;
        conn.del(&keys).await.map_err(other)
    }

    async fn sadd(
        &mut self,
        c: Resource<RedisConnection>,
        key: String,
        values: Vec<String>,
    ) -> Result<u32, Error> {
        let mut conn = self.redis(&c)?;
        conn.sadd(&key, &values).await.map_err(|e| match e.kind() {
            redis::ErrorKind::TypeError => Error::TypeError,
            _ => other(e),
        })
    }

    async fn smembers(
        &mut self,
        c: Resource<RedisConnection>,
        key: String,
    ) -> Result<Vec<String>, Error> {
        let mut conn = self.redis(&c)?;
        conn.smembers(&key).await.map_err(other)
    }

    async fn srem(
        &mut self,
        c: Resource<RedisConnection>,
        key: String,
        values: Vec<String>,
    ) -> Result<u32, Error> {
        let mut conn = self.redis(&c)?;
        conn.srem(&key, &values).await.map_err(other)
    }

    async fn execute(
        &mut self,
        c: Resource<RedisConnection>,
        command: String,
        arguments: Vec<RedisParameter>,
    ) -> Result<Vec<RedisResult>, Error> {
        let mut conn = self.redis(&c)?;
        let mut cmd = redis::cmd(&command);
        for arg in arguments {
            match arg {
                RedisParameter::Int64(v) => cmd.arg(v),
                RedisParameter::Binary(v) => cmd.arg(v),
            };
        }
        let value: Value = cmd.query_async(&mut conn).await.map_err(other)?;
        Ok(flatten(value))
    }

    async fn drop(&mut self, c: Resource<RedisConnection>) -> wasmtime::Result<()> {
        self.table.delete(c)?;
        Ok(())
    }
}

/// Spin flattens nested replies into one list of scalars.
fn flatten(value: Value) -> Vec<RedisResult> {
    match value {
        Value::Nil => vec![RedisResult::Nil],
        Value::Int(i) => vec![RedisResult::Int64(i)],
        Value::BulkString(b) => vec![RedisResult::Binary(b)],
        Value::SimpleString(s) => vec![RedisResult::Status(s)],
        Value::Okay => vec![RedisResult::Status("OK".into())],
        Value::Array(items) | Value::Set(items) => items.into_iter().flat_map(flatten).collect(),
        other => match String::from_redis_value(&other) {
            Ok(s) => vec![RedisResult::Binary(s.into_bytes())],
            Err(_) => vec![RedisResult::Nil],
        },
    }
}
