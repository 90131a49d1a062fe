//! With Redis unreachable the blacklist cannot be checked, so protected
//! endpoints answer 503 quickly and let nobody through, nor does login (its
//! attempts cannot be counted); registration goes on. When Redis is back the
//! service recovers by itself. This test runs its own Redis and host, so it
//! can stop Redis without disturbing the others.

use e2e::{free_port, sign_up, start_redis, OwnHost};
use std::time::{Duration, Instant};

#[test]
fn protected_endpoints_fail_closed_without_redis_and_recover() {
    let port = free_port();
    let mut redis = start_redis(port);
    let host = OwnHost::start(&e2e::redis_variables(port));
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
    // Login cannot count the attempt before checking the password: refused.
    host.api
        .login(&user.person.second_login, &user.person.password)
        .problem(503);
    // Registration needs no Redis to be correct (its event waits in the
    // outbox), so it goes on.
    assert_eq!(
        host.api.register(&e2e::Person::new().registration()).status,
        201
    );

    let mut redis = start_redis(port);
    assert_eq!(
        host.api.me(&user.access_token).status,
        200,
        "recovered without a restart"
    );
    let login = host
        .api
        .login(&user.person.second_login, &user.person.password);
    assert_eq!(login.status, 200, "{}", login.text);
    redis.kill().unwrap();
    redis.wait().unwrap();
}
