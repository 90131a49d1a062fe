//! The outbound HTTP port on the host's `wasi:http` client (each build's
//! own, in `host`), and the clock's pause.

use crate::core::ports::{Outbound, OutboundError, OutboundRequest, OutboundResponse};
use crate::edge::host;

/// Outbound HTTP through the Spin host, which allows only the hosts in
/// `allowed_outbound_hosts`.
pub struct HostOutbound;

impl Outbound for HostOutbound {
    async fn post(
        &mut self,
        request: &OutboundRequest,
        timeout_ms: u32,
    ) -> Result<OutboundResponse, OutboundError> {
        host::http_post(request, timeout_ms).await
    }

    async fn pause(&mut self, milliseconds: u64) {
        host::pause(milliseconds).await
    }
}
