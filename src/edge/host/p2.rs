//! The WASIp2 build on spin-sdk 5.2. Spin's calls here are synchronous; the
//! async wrappers are ready at once, so the core runs unchanged on them.

use crate::core::config::{Config, Variable};
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
    let mut incoming = Incoming::head(method.clone(), &target, request.authority(), headers);
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
    // The head goes out first: the host drains the body only after it has
    // the response, so a body larger than its buffer (the docs' script,
    // 1.7 MB) written before would wait for ever.
    response_out.set(response);
    if !body.is_empty() {
        use futures::SinkExt;
        let _ = out.send(body).await;
    }
}

/// Settings are read from Spin variables when a request first needs each one
/// (an instance serves one request: nothing to keep).
pub async fn settings() -> Rc<Config> {
    Rc::new(Config::new(|name| match spin_sdk::variables::get(name) {
        Ok(value) => Variable::Set(value),
        Err(spin_sdk::variables::Error::Undefined(_)) => Variable::NotSet,
        // Never "not set": a configuration failure the request reports.
        // The provider's own words (hosts, paths) go to the log, not to
        // the client.
        Err(e) => {
            eprintln!("variable {name} cannot be read: {e:?}");
            Variable::Unreadable("the host's variable provider failed".into())
        }
    }))
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

    /// `ROLLBACK` (no call is given up on here, so nothing is left running
    /// on the connection before it).
    pub async fn roll_back(&self) -> Result<(), PgError> {
        self.execute("ROLLBACK").await
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

/// POSTs through Spin's outbound HTTP (`wasi:http` 0.2), giving up after
/// `timeout_ms` in all. An instance serves one request here, so waiting
/// blocks nothing else.
pub async fn http_post(
    request: &crate::core::ports::OutboundRequest,
    timeout_ms: u32,
) -> Result<crate::core::ports::OutboundResponse, crate::core::ports::OutboundError> {
    outbound::post(request, timeout_ms)
}

/// Waits (blocking: the instance has nothing else to do).
pub async fn pause(milliseconds: u64) {
    wasi::clocks::monotonic_clock::subscribe_duration(milliseconds.saturating_mul(1_000_000))
        .block();
}

mod outbound {
    use crate::core::ports::{OutboundError, OutboundRequest, OutboundResponse, MAX_ANSWER_BYTES};
    use wasi::clocks::monotonic_clock;
    use wasi::http::outgoing_handler;
    use wasi::http::types::{
        ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions,
        Scheme,
    };
    use wasi::io::poll;
    use wasi::io::streams::StreamError;

    fn failed(why: impl std::fmt::Display) -> OutboundError {
        OutboundError::Failed(why.to_string())
    }

    fn from_code(code: ErrorCode) -> OutboundError {
        match code {
            ErrorCode::ConnectionTimeout
            | ErrorCode::ConnectionReadTimeout
            | ErrorCode::ConnectionWriteTimeout
            | ErrorCode::HttpResponseTimeout => OutboundError::TimedOut,
            other => failed(format!("{other:?}")),
        }
    }

    /// Whether `deadline` passed before `pollable` was ready.
    fn wait(pollable: &wasi::io::poll::Pollable, deadline: u64) -> bool {
        let timer = monotonic_clock::subscribe_instant(deadline);
        let ready = poll::poll(&[pollable, &timer]);
        !ready.contains(&0)
    }

    pub fn post(
        request: &OutboundRequest,
        timeout_ms: u32,
    ) -> Result<OutboundResponse, OutboundError> {
        let uri: ::http::Uri = request.url.parse().map_err(|_| failed("not a URL"))?;
        let scheme = match uri.scheme_str() {
            Some("https") => Scheme::Https,
            Some("http") => Scheme::Http,
            _ => return Err(failed("not an http(s) URL")),
        };
        // The length declared: some gateways refuse a chunked body.
        let mut entries: Vec<(String, Vec<u8>)> = request
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
            .collect();
        entries.push((
            "content-length".into(),
            request.body.len().to_string().into_bytes(),
        ));
        let headers = Fields::from_list(&entries).map_err(|e| failed(format!("{e:?}")))?;
        let outgoing = OutgoingRequest::new(headers);
        let _ = outgoing.set_method(&Method::Post);
        let _ = outgoing.set_scheme(Some(&scheme));
        let _ = outgoing.set_authority(uri.authority().map(|a| a.as_str()));
        let _ = outgoing.set_path_with_query(uri.path_and_query().map(|p| p.as_str()));
        let body = outgoing.body().map_err(|_| failed("no request body"))?;

        let nanos = u64::from(timeout_ms) * 1_000_000;
        let deadline = monotonic_clock::now().saturating_add(nanos);
        let options = RequestOptions::new();
        let _ = options.set_connect_timeout(Some(nanos));
        let _ = options.set_first_byte_timeout(Some(nanos));
        let _ = options.set_between_bytes_timeout(Some(nanos));
        let future = outgoing_handler::handle(outgoing, Some(options)).map_err(from_code)?;
        {
            let stream = body
                .write()
                .map_err(|_| failed("request body not writable"))?;
            for chunk in request.body.chunks(4096) {
                stream
                    .blocking_write_and_flush(chunk)
                    .map_err(|e| failed(format!("request body not sent: {e:?}")))?;
            }
        }
        OutgoingBody::finish(body, None).map_err(from_code)?;

        let response = loop {
            if let Some(answer) = future.get() {
                break answer
                    .map_err(|_| failed("answer taken twice"))?
                    .map_err(from_code)?;
            }
            if wait(&future.subscribe(), deadline) {
                return Err(OutboundError::TimedOut);
            }
        };
        let status = response.status();
        let incoming = response.consume().map_err(|_| failed("no answer body"))?;
        let mut answer = Vec::new();
        {
            let stream = incoming.stream().map_err(|_| failed("no answer stream"))?;
            loop {
                match stream.read(16 * 1024) {
                    Ok(bytes) if bytes.is_empty() => {
                        if wait(&stream.subscribe(), deadline) {
                            return Err(OutboundError::TimedOut);
                        }
                    }
                    Ok(bytes) => {
                        answer.extend_from_slice(&bytes);
                        if answer.len() > MAX_ANSWER_BYTES {
                            return Err(failed("answer too long"));
                        }
                    }
                    Err(StreamError::Closed) => break,
                    Err(e) => return Err(failed(format!("answer not read: {e:?}"))),
                }
            }
        }
        let _ = IncomingBody::finish(incoming);
        Ok(OutboundResponse {
            status,
            body: answer,
        })
    }
}
