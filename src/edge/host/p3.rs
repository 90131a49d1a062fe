//! The WASIp3 build on spin-sdk 7 (Spin ≥ 4.1). Spin reuses an instance for
//! many requests, so what is worth keeping stays here between them: the
//! settings, read once and parsed once, and (in `edge::kept`) the
//! PostgreSQL and Redis connections.

use crate::core::config::{Config, Variable, VARIABLES};
use crate::core::passwords;
use crate::core::ports::MAX_ANSWER_BYTES;
use crate::edge::http::{self, Incoming};
use futures::future::Either;
use futures::StreamExt;
use spin_sdk::http::body::IncomingBodyExt;
use spin_sdk::http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode};
use spin_sdk::http_service;
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

pub use spin_sdk::pg::{DbValue, ParameterValue, PgError, QueryError};
pub use spin_sdk::redis::{Error as RedisError, RedisParameter, RedisResult};

type Body = http_body_util::Full<bytes::Bytes>;

/// How long one call to PostgreSQL or Redis may take before the request
/// gives up on it (503): a hung dependency must not hold a request, nor the
/// instance that serves it, until Spin's `--request-timeout` ends both
/// with a bare 500. A call given up on leaves its connection unused again
/// (see `edge::kept`: it counts as failed), and a transaction it was in is
/// rolled back on a deadline of its own (`roll_back`; `edge::postgres` says
/// why that matters: the connection goes back to Spin's pool). The service
/// role's own timeouts are below this one (migration 0030).
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the `ROLLBACK` of a transaction this request is leaving may
/// take, counted afresh from when it is sent (a call given up on does not
/// use up its time): the request then ends within Spin's
/// `--request-timeout` (10 s) even after a call given up on.
const ROLLBACK_TIMEOUT: Duration = Duration::from_secs(2);

/// `call`, unless it takes longer than `CALL_TIMEOUT`.
async fn within_timeout<T>(call: impl Future<Output = T>) -> Option<T> {
    within(CALL_TIMEOUT, call).await
}

/// `call`, unless it takes longer than `limit`.
async fn within<T>(limit: Duration, call: impl Future<Output = T>) -> Option<T> {
    let call = std::pin::pin!(call);
    let timer = std::pin::pin!(spin_sdk::time::sleep(limit));
    match futures::future::select(call, timer).await {
        Either::Left((answer, _)) => Some(answer),
        Either::Right(((), _)) => None,
    }
}

#[http_service]
async fn handle(request: Request) -> spin_sdk::http::Response<Body> {
    let (head, body) = request.into_parts();
    let target = head
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| head.uri.path().to_string());
    let headers: Vec<(String, String)> = head
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let method = head.method.as_str().to_string();
    // A bcrypt hash gives the host its thread back after every round.
    passwords::pause_with(yield_to_host);
    let authority = head.uri.authority().map(|a| a.as_str().to_string());
    let mut incoming = Incoming::head(method.clone(), &target, authority, headers);
    if incoming.wants_body() {
        incoming.read_body(body.stream()).await;
    }
    let settings = settings().await;
    let reply = http::respond(incoming, &settings).await;
    let (status, headers, body) = reply.into_parts(&method);
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            map.append(name, value);
        }
    }
    let mut response = spin_sdk::http::Response::new(Body::new(body.into()));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    *response.headers_mut() = map;
    response
}

/// Lets the host run other work (other instances' requests) before this
/// one goes on: a WebAssembly instance cannot be interrupted otherwise.
fn yield_to_host() {
    // Whether this request was cancelled meanwhile: it ends soon anyway.
    let _ = spin_sdk::wit_bindgen::yield_blocking();
}

thread_local! {
    static SETTINGS: RefCell<Option<Rc<Config>>> = const { RefCell::new(None) };
}

/// The settings, read from Spin variables by the instance's first request
/// and kept for the rest: Spin's variables do not change while it runs,
/// and what each one parses to is cached in the `Config` itself.
pub async fn settings() -> Rc<Config> {
    if let Some(config) = SETTINGS.with(|s| s.borrow().clone()) {
        return config;
    }
    let mut values = HashMap::new();
    let mut all_read = true;
    for name in VARIABLES {
        let value = match spin_sdk::variables::get(name).await {
            Ok(value) => Variable::Set(value),
            Err(spin_sdk::variables::Error::Undefined(_)) => Variable::NotSet,
            // Never "not set": a configuration failure until it reads.
            Err(e) => {
                all_read = false;
                // The provider's own words (hosts, paths) go to the log,
                // not to the client.
                eprintln!("variable {name} cannot be read: {e:?}");
                Variable::Unreadable("the host's variable provider failed".into())
            }
        };
        values.insert(*name, value);
    }
    let config = Rc::new(Config::new(move |name| {
        values.get(name).cloned().unwrap_or(Variable::NotSet)
    }));
    if !all_read {
        // Read again by the next request, not kept for the instance's life.
        return config;
    }
    SETTINGS.with(|s| s.borrow_mut().get_or_insert(config).clone())
}

/// One PostgreSQL connection (one pooled client of Spin's, for its lifetime).
pub struct PgLink(spin_sdk::pg::Connection);

impl PgLink {
    pub async fn open(url: &str) -> Result<PgLink, PgError> {
        within_timeout(spin_sdk::pg::Connection::open(url))
            .await
            .ok_or_else(pg_timed_out)?
            .map(PgLink)
            .map_err(pg_error)
    }

    pub async fn query(
        &self,
        statement: &str,
        params: &[ParameterValue],
    ) -> Result<Vec<Vec<DbValue>>, PgError> {
        let query = async {
            let result = self
                .0
                .query(statement, params.to_vec())
                .await
                .map_err(pg_error)?;
            let (_columns, mut rows, outcome) = result.into_inner();
            let mut all = Vec::new();
            while let Some(row) = rows.next().await {
                all.push(row);
            }
            // An error while the rows were read arrives here, after them.
            outcome.await?;
            Ok(all)
        };
        within_timeout(query).await.ok_or_else(pg_timed_out)?
    }

    pub async fn execute(&self, statement: &str) -> Result<(), PgError> {
        within_timeout(self.0.execute(statement, Vec::new()))
            .await
            .ok_or_else(pg_timed_out)?
            .map(|_| ())
            .map_err(pg_error)
    }

    /// `ROLLBACK`, on a deadline of its own (`ROLLBACK_TIMEOUT`): after a
    /// call given up on, this is what may still end the transaction before
    /// the connection goes back to Spin's pool. It goes behind whatever
    /// the server is still doing on this connection.
    pub async fn roll_back(&self) -> Result<(), PgError> {
        within(ROLLBACK_TIMEOUT, self.0.execute("ROLLBACK", Vec::new()))
            .await
            .ok_or_else(pg_timed_out)?
            .map(|_| ())
            .map_err(pg_error)
    }
}

/// How a call given up on is reported.
const TIMED_OUT: &str = "no answer within the call timeout";

/// A call given up on counts as a lost connection (503).
fn pg_timed_out() -> PgError {
    PgError::ConnectionFailed(TIMED_OUT.into())
}

/// Whether the call was given up on (then it is not tried again).
pub fn pg_call_timed_out(e: &PgError) -> bool {
    matches!(e, PgError::ConnectionFailed(m) if m == TIMED_OUT)
}

pub fn redis_call_timed_out(e: &RedisError) -> bool {
    matches!(e, RedisError::Other(m) if m == TIMED_OUT)
}

fn pg_error(e: spin_sdk::pg::Error) -> PgError {
    match e {
        spin_sdk::pg::Error::PgError(e) => e,
        spin_sdk::pg::Error::Decode(m) => PgError::ValueConversionFailed(m),
    }
}

/// One Redis connection (Spin opens a TCP connection for each).
pub struct RedisLink(spin_sdk::redis::Connection);

impl RedisLink {
    pub async fn open(url: &str) -> Result<RedisLink, RedisError> {
        within_timeout(spin_sdk::redis::Connection::open(url))
            .await
            .ok_or_else(redis_timed_out)?
            .map(RedisLink)
    }

    pub async fn execute(
        &self,
        command: &str,
        args: &[RedisParameter],
    ) -> Result<Vec<RedisResult>, RedisError> {
        within_timeout(self.0.execute(command, args.to_vec()))
            .await
            .ok_or_else(redis_timed_out)?
    }

    pub async fn publish(&self, channel: &str, payload: &[u8]) -> Result<(), RedisError> {
        within_timeout(self.0.publish(channel, payload))
            .await
            .ok_or_else(redis_timed_out)?
    }
}

fn redis_timed_out() -> RedisError {
    RedisError::Other(TIMED_OUT.into())
}

/// POSTs through Spin's outbound HTTP (`wasi:http` 0.3), giving up after
/// `timeout_ms` in all.
pub async fn http_post(
    request: &crate::core::ports::OutboundRequest,
    timeout_ms: u32,
) -> Result<crate::core::ports::OutboundResponse, crate::core::ports::OutboundError> {
    use crate::core::ports::{OutboundError, OutboundResponse};
    let mut builder = ::http::Request::builder().method("POST").uri(&request.url);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let outgoing = builder
        .body(Body::new(request.body.clone().into()))
        .map_err(|e| OutboundError::Failed(format!("request not built: {e}")))?;
    let exchange = async {
        let response = spin_sdk::http::send(outgoing)
            .await
            .map_err(|e| OutboundError::Failed(format!("{e:?}")))?;
        let status = response.status().as_u16();
        // Read in pieces, never past the cap: whatever answers at the
        // gateway's address cannot fill the instance's memory.
        let mut stream = response.into_body().stream();
        let mut body = Vec::new();
        while let Some(piece) = stream.next().await {
            let piece =
                piece.map_err(|e| OutboundError::Failed(format!("answer not read: {e:?}")))?;
            body.extend_from_slice(&piece);
            if body.len() > MAX_ANSWER_BYTES {
                return Err(OutboundError::Failed("answer too long".into()));
            }
        }
        Ok(OutboundResponse { status, body })
    };
    let exchange = std::pin::pin!(exchange);
    let timer = std::pin::pin!(spin_sdk::time::sleep(Duration::from_millis(u64::from(
        timeout_ms
    ))));
    match futures::future::select(exchange, timer).await {
        Either::Left((answer, _)) => answer,
        Either::Right(((), _)) => Err(OutboundError::TimedOut),
    }
}

/// Waits without holding the instance's other requests up.
pub async fn pause(milliseconds: u64) {
    spin_sdk::time::sleep(Duration::from_millis(milliseconds)).await
}
