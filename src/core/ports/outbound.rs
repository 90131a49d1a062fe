//! Outbound HTTP (an SMS or email gateway) and the clock.

/// A POST to an outside service (an SMS or email gateway).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// An `application/x-www-form-urlencoded` body of these pairs (the form
/// APIs: Twilio, SMS.ru, Mailgun).
pub fn form_body(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut encoder = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        encoder.append_pair(k, v);
    }
    encoder.finish().into_bytes()
}

/// A configured base URL without its trailing slashes, to append a path to.
pub fn base_url(url: &str) -> &str {
    url.trim_end_matches('/')
}

/// An answer's body is read up to this much and no further (gateways
/// answer a few KiB): a longer one is a failure, on both builds.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboundError {
    /// No answer within the time given.
    TimedOut,
    /// Refused by the host (not in `allowed_outbound_hosts`), unreachable,
    /// or broken off.
    Failed(String),
}

/// Outbound HTTP and the clock (Spin's outbound HTTP in production).
#[allow(async_fn_in_trait)]
pub trait Outbound {
    /// POSTs `request`, giving up after `timeout_ms` in all (connecting,
    /// the answer, its body).
    async fn post(
        &mut self,
        request: &OutboundRequest,
        timeout_ms: u32,
    ) -> Result<OutboundResponse, OutboundError>;
    /// Waits this long without holding anything else up.
    async fn pause(&mut self, milliseconds: u64);
}
