//! Who is calling: the connection's address (Spin's `spin-client-addr`),
//! or the one trusted proxies vouch for (`core::client_address`).

use crate::core::client_address::{client_address, TrustedProxies};
use crate::core::ports::ClientInfo;
use std::net::{IpAddr, SocketAddr};

/// `headers` are the request's, every line of each, in order.
// Only the component calls it; native builds have it for its unit tests.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub fn client_info(headers: &[(String, String)], trusted: &TrustedProxies) -> ClientInfo {
    let lines = |name: &'static str| {
        headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let connection_ip = lines("spin-client-addr").next().and_then(|a| {
        a.parse::<SocketAddr>()
            .map(|s| s.ip())
            .or_else(|_| a.parse::<IpAddr>())
            .ok()
    });
    let forwarded: Vec<&str> = lines("x-forwarded-for").collect();
    let ip = client_address(trusted, connection_ip, &forwarded);
    ClientInfo {
        ip: ip.map(|ip| ip.to_string()),
        user_agent: lines("user-agent")
            .next()
            .map(|ua| truncate_bytes(ua, USER_AGENT_MAX_BYTES)),
    }
}

/// What the database keeps of a User-Agent (its CHECK counts bytes).
const USER_AGENT_MAX_BYTES: usize = 512;

/// At most `max` bytes of `s`, cut at a character boundary.
fn truncate_bytes(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let h = headers(&[
            ("spin-client-addr", "10.0.0.1:5555"),
            ("x-forwarded-for", "1.2.3.4, 5.6.7.8"),
        ]);
        assert_eq!(
            client_info(&h, &TrustedProxies::None).ip.as_deref(),
            Some("10.0.0.1")
        );
        assert_eq!(
            client_info(&h, &TrustedProxies::Hops(1)).ip.as_deref(),
            Some("5.6.7.8")
        );
    }

    #[test]
    fn every_forwarded_for_line_counts() {
        let h = headers(&[
            ("spin-client-addr", "10.0.0.1:5555"),
            ("X-Forwarded-For", "6.6.6.6"),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(
            client_info(&h, &TrustedProxies::Hops(1)).ip.as_deref(),
            Some("203.0.113.9")
        );
    }

    #[test]
    fn a_user_agent_is_cut_to_512_bytes_at_a_character_boundary() {
        let long = "я".repeat(400); // 800 bytes
        let h = headers(&[("user-agent", long.as_str())]);
        let ua = client_info(&h, &TrustedProxies::None).user_agent.unwrap();
        assert!(ua.len() <= 512 && ua.len() >= 510, "{}", ua.len());
        assert!(long.starts_with(&ua));
    }
}
