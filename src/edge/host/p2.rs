//! The WASIp2 build on spin-sdk 5.2. Spin's calls here are synchronous; the
//! async wrappers are ready at once, so the core runs unchanged on them.

use crate::core::config::Config;
use crate::edge::http::{self, Incoming};
use spin_sdk::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};
use spin_sdk::http_component;
use std::rc::Rc;

pub use spin_sdk::pg4::{DbValue, ParameterValue, PgError, QueryError};
pub use spin_sdk::redis::{Error as RedisError, RedisParameter, RedisResult};

#[http_component]
async fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
    let target = request.path_with_query().unwrap_or_default();
    let headers: Vec<(String, String)> = request
        .headers()
        .entries()
        .into_iter()
        .filter_map(|(k, v)| String::from_utf8(v).ok().map(|v| (k, v)))
        .collect();
    let method = request.method().to_string();
    let mut incoming = Incoming::head(method.clone(), &target, headers);
    if incoming.wants_body() {
        incoming.read_body(request.into_body_stream()).await;
    }
    let settings = settings().await;
    let reply = http::respond(incoming, &settings).await;
    let (status, headers, body) = reply.into_parts(&method);
    let entries: Vec<(String, Vec<u8>)> = headers
        .into_iter()
        .map(|(k, v)| (k, v.into_bytes()))
        .collect();
    let headers = Fields::from_list(&entries).unwrap_or_else(|_| Fields::new());
    let response = OutgoingResponse::new(headers);
    let _ = response.set_status_code(status);
    let mut out = response.take_body();
    if !body.is_empty() {
        use futures::SinkExt;
        let _ = out.send(body).await;
    }
    response_out.set(response);
}

/// Settings are read from Spin variables when a request first needs each one
/// (an instance serves one request: nothing to keep).
pub async fn settings() -> Rc<Config> {
    Rc::new(Config::new(|name| spin_sdk::variables::get(name).ok()))
}

/// Spin's p2 calls cannot be given up on: no call times out here (a hung
/// dependency holds a p2 request until it answers; see the README).
pub fn pg_call_timed_out(_: &PgError) -> bool {
    false
}

pub fn redis_call_timed_out(_: &RedisError) -> bool {
    false
}

/// One PostgreSQL connection (one pooled client of Spin's, for its lifetime).
pub struct PgLink(spin_sdk::pg4::Connection);

impl PgLink {
    pub async fn open(url: &str) -> Result<PgLink, PgError> {
        spin_sdk::pg4::Connection::open(url).map(PgLink)
    }

    pub async fn query(
        &self,
        statement: &str,
        params: &[ParameterValue],
    ) -> Result<Vec<Vec<DbValue>>, PgError> {
        self.0.query(statement, params).map(|r| r.rows)
    }

    pub async fn execute(&self, statement: &str) -> Result<(), PgError> {
        self.0.execute(statement, &[]).map(|_| ())
    }
}

/// One Redis connection (Spin opens a TCP connection for each).
pub struct RedisLink(spin_sdk::redis::Connection);

impl RedisLink {
    pub async fn open(url: &str) -> Result<RedisLink, RedisError> {
        spin_sdk::redis::Connection::open(url).map(RedisLink)
    }

    pub async fn execute(
        &self,
        command: &str,
        args: &[RedisParameter],
    ) -> Result<Vec<RedisResult>, RedisError> {
        self.0.execute(command, args)
    }

    pub async fn publish(&self, channel: &str, payload: &[u8]) -> Result<(), RedisError> {
        self.0.publish(channel, payload)
    }
}
