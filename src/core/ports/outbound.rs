//! Outbound HTTP (an SMS gateway) and the clock.

/// A POST to an outside service (an SMS gateway).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
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
