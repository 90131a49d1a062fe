//! Who is calling: the client IP from the connection (Spin's
//! `spin-client-addr`), or from `X-Forwarded-For` only behind a trusted proxy.

use crate::core::ports::ClientInfo;
use std::net::{IpAddr, SocketAddr};

// Only the component calls it; native builds have it for its unit tests.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub fn client_info(header: impl Fn(&str) -> Option<String>, trusted_proxy: bool) -> ClientInfo {
    let connection_ip = header("spin-client-addr").and_then(|a| {
        a.parse::<SocketAddr>()
            .map(|s| s.ip())
            .or_else(|_| a.parse::<IpAddr>())
            .ok()
    });
    // The proxy appends the address it saw; the last entry is the one it vouches for.
    let forwarded_ip = || {
        header("x-forwarded-for")?
            .rsplit(',')
            .next()
            .and_then(|ip| ip.trim().parse::<IpAddr>().ok())
    };
    let ip = if trusted_proxy {
        forwarded_ip().or(connection_ip)
    } else {
        connection_ip
    };
    ClientInfo {
        ip: ip.map(|ip| ip.to_string()),
        user_agent: header("user-agent").map(|ua| truncate_bytes(&ua, USER_AGENT_MAX_BYTES)),
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

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let h = [
            ("spin-client-addr", "10.0.0.1:5555"),
            ("x-forwarded-for", "1.2.3.4, 5.6.7.8"),
        ];
        assert_eq!(
            client_info(headers(&h), false).ip.as_deref(),
            Some("10.0.0.1")
        );
        assert_eq!(
            client_info(headers(&h), true).ip.as_deref(),
            Some("5.6.7.8")
        );
    }

    #[test]
    fn a_user_agent_is_cut_to_512_bytes_at_a_character_boundary() {
        let long = "я".repeat(400); // 800 bytes
        let h = [("user-agent", long.as_str())];
        let ua = client_info(headers(&h), false).user_agent.unwrap();
        assert!(ua.len() <= 512 && ua.len() >= 510, "{}", ua.len());
        assert!(long.starts_with(&ua));
    }
}
