//! The client address behind proxies, as nginx's real_ip and Express's
//! trust proxy take it: every X-Forwarded-For line counts, `trusted_proxy`
//! names how many proxies stand in front or which networks they are in, and
//! an IPv6 client is counted by its /64. Seen through the per-IP limit of
//! registration (3 a minute here), on a Redis and host of their own.

use e2e::{OwnHost, OwnRedis, Person};
use std::io::{Read, Write};

fn host(trusted_proxy: &str) -> (OwnHost, OwnRedis) {
    let redis = OwnRedis::start();
    let mut variables = vec![
        ("SPIN_VARIABLE_TRUSTED_PROXY", trusted_proxy.to_string()),
        ("SPIN_VARIABLE_REGISTER_RATE_LIMIT_PER_IP", "3".into()),
        ("SPIN_VARIABLE_RATE_LIMIT_WINDOW_SECONDS", "60".into()),
    ];
    variables.extend(redis.variables());
    (OwnHost::start(&variables), redis)
}

/// A registration whose request carries these X-Forwarded-For lines, each
/// as a header line of its own (written by hand: HTTP clients merge them).
fn register(host: &OwnHost, forwarded: &[&str]) -> u16 {
    let address = host.base.trim_start_matches("http://").to_string();
    let body = Person::new().registration().to_string();
    let mut request = format!(
        "POST /api/v1/auth/register HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for line in forwarded {
        request.push_str(&format!("X-Forwarded-For: {line}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer[9..12].parse().unwrap()
}

#[test]
fn a_client_cannot_pick_its_address_with_a_line_of_its_own() {
    // One proxy, which appends a line of its own after the client's.
    let (host, _redis) = host("1");
    for i in 0..3 {
        let claimed = format!("198.51.100.{i}");
        assert_eq!(register(&host, &[&claimed, "203.0.113.70"]), 201);
    }
    assert_eq!(register(&host, &["198.51.100.99", "203.0.113.70"]), 429);
    assert_eq!(
        register(&host, &["198.51.100.99", "203.0.113.71"]),
        201,
        "another client"
    );
}

#[test]
fn two_hops_take_the_address_the_outer_proxy_saw() {
    let (host, _redis) = host("2");
    for i in 0..3 {
        // client claim, the client as the CDN saw it, the CDN as the balancer saw it.
        let line = format!("10.9.9.{i}, 203.0.113.80, 198.51.100.{i}");
        assert_eq!(register(&host, &[&line]), 201);
    }
    assert_eq!(
        register(&host, &["1.1.1.1, 203.0.113.80, 198.51.100.9"]),
        429
    );
}

#[test]
fn trusted_networks_are_skipped_until_the_client() {
    let (host, _redis) = host("127.0.0.1, 10.0.0.0/8");
    for i in 0..3 {
        let line = format!("192.0.2.{i}, 203.0.113.90, 10.1.2.{i}");
        assert_eq!(register(&host, &[&line]), 201);
    }
    assert_eq!(register(&host, &["203.0.113.90", "10.7.7.7"]), 429);
    assert_eq!(register(&host, &["203.0.113.91", "10.7.7.7"]), 201);
}

#[test]
fn ipv6_clients_are_counted_by_their_64() {
    let (host, _redis) = host("true");
    for i in 1..=3 {
        assert_eq!(register(&host, &[&format!("2001:db8:1:2::{i}")]), 201);
    }
    assert_eq!(register(&host, &["2001:db8:1:2:ffff::9"]), 429, "same /64");
    assert_eq!(register(&host, &["2001:db8:1:3::1"]), 201, "another /64");
}
