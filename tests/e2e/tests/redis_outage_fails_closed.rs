//! With Redis unreachable the blacklist cannot be checked, so protected
//! endpoints answer 503 quickly and let nobody through; when Redis is back the
//! service recovers by itself. This test runs its own Redis and host, so it
//! can stop Redis without disturbing the others.

use e2e::{free_port, sign_up, OwnHost};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn start_redis(port: u16) -> Child {
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server runs");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "redis did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

#[test]
fn protected_endpoints_fail_closed_without_redis_and_recover() {
    let port = free_port();
    let mut redis = start_redis(port);
    let host = OwnHost::start(&[
        (
            "SPIN_VARIABLE_REDIS_URL",
            format!("redis://127.0.0.1:{port}"),
        ),
        ("SPIN_VARIABLE_REDIS_HOST", format!("127.0.0.1:{port}")),
    ]);
    let user = sign_up(&host.api);
    assert_eq!(host.api.me(&user.access_token).status, 200);

    redis.kill().unwrap();
    redis.wait().unwrap();
    let started = Instant::now();
    let reply = host.api.me(&user.access_token);
    let took = started.elapsed();
    let problem = reply.problem(503);
    assert!(problem["detail"].as_str().unwrap().contains("redis"));
    assert!(took < Duration::from_secs(2), "answered in {took:?}");
    // Nothing protected gets through, not even logout.
    host.api
        .bearer("GET", "/api/v1/auth/sessions", &user.access_token, None)
        .problem(503);
    host.api
        .bearer("POST", "/api/v1/auth/logout", &user.access_token, None)
        .problem(503);

    let mut redis = start_redis(port);
    assert_eq!(
        host.api.me(&user.access_token).status,
        200,
        "recovered without a restart"
    );
    redis.kill().unwrap();
    redis.wait().unwrap();
}
