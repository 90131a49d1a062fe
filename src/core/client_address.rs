//! Which address is the client's (SPEC §6): the connection's, or, behind
//! proxies the operator trusts, the one those proxies vouch for in
//! `X-Forwarded-For` — as nginx's `real_ip` (trusted networks, recursive) or
//! Express's `trust proxy` (a number of hops) decide it. Every
//! `X-Forwarded-For` line counts, in order: a proxy may append its own line
//! rather than extend the client's.

use ipnet::IpNet;
use std::net::IpAddr;

/// The `trusted_proxy` variable, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustedProxies {
    /// Clients connect directly: `X-Forwarded-For` is the client's own claim.
    None,
    /// This many proxies stand in front, each appending the address it saw
    /// (`true` is one).
    Hops(u32),
    /// Addresses in these networks are proxies; the client is the nearest
    /// address outside them.
    Networks(Vec<IpNet>),
}

impl TrustedProxies {
    /// "" or "false": none; "true" or a number: hops; otherwise a
    /// comma-separated list of addresses and CIDR ranges.
    pub fn parse(value: &str) -> Result<TrustedProxies, String> {
        let value = value.trim();
        match value.to_ascii_lowercase().as_str() {
            "" | "false" | "0" => return Ok(TrustedProxies::None),
            "true" => return Ok(TrustedProxies::Hops(1)),
            _ => {}
        }
        if let Ok(hops) = value.parse::<u32>() {
            return Ok(TrustedProxies::Hops(hops));
        }
        value
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map(|net| net.trunc())
                    .map_err(|_| {
                        format!(
                            "must be true, false, a number of proxy hops, or addresses and CIDR ranges; \
                             {entry:?} is none of them"
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies::Networks)
    }
}

/// The client's address: `connection` is the peer of the TCP connection,
/// `forwarded_lines` every `X-Forwarded-For` header line in the order
/// received.
pub fn client_address(
    trusted: &TrustedProxies,
    connection: Option<IpAddr>,
    forwarded_lines: &[&str],
) -> Option<IpAddr> {
    // Nearest first: the connection, then the forwarded entries from the right.
    let mut chain = forwarded_lines
        .iter()
        .flat_map(|line| line.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    chain.reverse();
    match trusted {
        TrustedProxies::None => connection,
        TrustedProxies::Hops(hops) => {
            // Each trusted hop vouches for the entry before it. An entry that
            // is no address ends the walk: the hop that handed it over is
            // the nearest party known, and stands for the client.
            let mut client = connection;
            for entry in chain.iter().take(*hops as usize) {
                match entry.parse::<IpAddr>() {
                    Ok(ip) => client = Some(ip),
                    Err(_) => break,
                }
            }
            client
        }
        TrustedProxies::Networks(networks) => {
            let trusted = |ip: &IpAddr| networks.iter().any(|net| net.contains(&canonical(*ip)));
            let mut client = connection?;
            for entry in &chain {
                if !trusted(&client) {
                    break;
                }
                match entry.parse::<IpAddr>() {
                    Ok(ip) => client = ip,
                    Err(_) => break,
                }
            }
            Some(client)
        }
    }
}

/// An IPv4 address written as IPv6 (`::ffff:192.0.2.1`) is the IPv4 address.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    fn parse(s: &str) -> TrustedProxies {
        TrustedProxies::parse(s).unwrap()
    }

    #[test]
    fn the_variable_says_none_hops_or_networks() {
        assert_eq!(parse(""), TrustedProxies::None);
        assert_eq!(parse("false"), TrustedProxies::None);
        assert_eq!(parse("true"), TrustedProxies::Hops(1));
        assert_eq!(parse("2"), TrustedProxies::Hops(2));
        assert_eq!(
            parse("10.0.0.0/8, 192.0.2.7, 2001:db8::/32"),
            TrustedProxies::Networks(vec![
                "10.0.0.0/8".parse().unwrap(),
                "192.0.2.7/32".parse().unwrap(),
                "2001:db8::/32".parse().unwrap(),
            ])
        );
        assert!(TrustedProxies::parse("yes please").is_err());
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
    }

    #[test]
    fn without_trusted_proxies_forwarded_for_is_ignored() {
        let got = client_address(&TrustedProxies::None, ip("10.0.0.1"), &["1.2.3.4"]);
        assert_eq!(got, ip("10.0.0.1"));
    }

    #[test]
    fn one_hop_takes_the_last_entry_of_every_line_together() {
        // The client sent its own line; the proxy appended a second one.
        let lines = ["6.6.6.6", "203.0.113.9"];
        let got = client_address(&TrustedProxies::Hops(1), ip("10.0.0.1"), &lines);
        assert_eq!(got, ip("203.0.113.9"));
    }

    #[test]
    fn two_hops_take_the_entry_the_outer_proxy_saw() {
        // client -> CDN (adds the client) -> load balancer (adds the CDN) -> us.
        let lines = ["6.6.6.6, 203.0.113.9, 198.51.100.2"];
        let got = client_address(&TrustedProxies::Hops(2), ip("10.0.0.1"), &lines);
        assert_eq!(got, ip("203.0.113.9"));
        let short = client_address(&TrustedProxies::Hops(2), ip("10.0.0.1"), &["198.51.100.2"]);
        assert_eq!(short, ip("198.51.100.2"), "fewer entries than hops");
        let garbage = client_address(
            &TrustedProxies::Hops(2),
            ip("10.0.0.1"),
            &["nonsense, 198.51.100.2"],
        );
        assert_eq!(
            garbage,
            ip("198.51.100.2"),
            "the hop that passed garbage on"
        );
    }

    #[test]
    fn trusted_networks_are_walked_until_the_first_address_outside_them() {
        let trusted = parse("10.0.0.0/8, 198.51.100.2");
        let lines = ["6.6.6.6, 203.0.113.9", "10.1.2.3, 198.51.100.2"];
        let got = client_address(&trusted, ip("10.0.0.1"), &lines);
        assert_eq!(got, ip("203.0.113.9"));
        // A connection from outside the trusted networks is the client itself.
        let direct = client_address(&trusted, ip("203.0.113.50"), &["1.1.1.1"]);
        assert_eq!(direct, ip("203.0.113.50"));
        // A mapped IPv4 peer counts as its IPv4 address.
        let mapped = client_address(&trusted, ip("::ffff:10.0.0.1"), &["203.0.113.9"]);
        assert_eq!(mapped, ip("203.0.113.9"));
    }
}
