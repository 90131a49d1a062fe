//! A Redis that stops answering (SIGSTOP: its connections stay open, no
//! reply ever comes) does not hold a request of the p3 build: each call to
//! it is given up after 5 s and the request answers 503 (or goes on without
//! it where Redis is optional), well within Spin's `--request-timeout`
//! (./run.sh gives 10 s). Nothing is half-written: a login refused for it
//! opened no session, a logout refused for it ended none. Once Redis
//! answers again, so does the service, at once.
//!
//! The p2 build cannot do this: Spin's p2 calls cannot be given up on and
//! Spin sets no timeout on p2 requests, so there the request waits for Redis
//! (README, "Hung dependencies"). Under a p2 host this test only says so.

use e2e::{admin_db, serves_p3, sign_up, Api, OwnHost, OwnRedis, Person};
use std::time::{Duration, Instant};

/// The longest a request may take while Redis hangs: one call given up
/// (5 s), and a margin for a loaded machine.
const BOUND: Duration = Duration::from_secs(8);

fn active_sessions(user_id: &str) -> i64 {
    admin_db()
        .query_one(
            "SELECT count(*) FROM auth.sessions
             WHERE user_id = $1::text::uuid AND revoked_at IS NULL",
            &[&user_id],
        )
        .unwrap()
        .get(0)
}

/// Time and answer of one request.
fn timed<T>(call: impl FnOnce() -> T) -> (Duration, T) {
    let started = Instant::now();
    let answer = call();
    (started.elapsed(), answer)
}

#[test]
fn a_stopped_redis_costs_a_bounded_wait_a_clear_503_and_nothing_half_done() {
    if !serves_p3() {
        eprintln!("p2 build: a hung Redis holds the request (no call timeout on p2 hosts)");
        return;
    }
    let redis = OwnRedis::start();
    let host = OwnHost::start(&redis.variables());
    let api: &Api = &host.api;
    let user = sign_up(api);
    assert_eq!(active_sessions(&user.user_id), 1);

    redis.pause();

    let (took, login) = timed(|| api.login(&user.person.second_login, &user.person.password));
    assert!(took < BOUND, "login took {took:?}");
    login.problem(503);
    assert_eq!(
        active_sessions(&user.user_id),
        1,
        "a refused login opened a session"
    );

    let (took, logout) =
        timed(|| api.bearer("POST", "/api/v1/auth/logout", &user.access_token, None));
    assert!(took < BOUND, "logout took {took:?}");
    logout.problem(503);
    assert_eq!(
        active_sessions(&user.user_id),
        1,
        "a refused logout ended the session"
    );

    // Registration does without Redis (its rate limit fails open, its event
    // waits in the outbox): one call given up, then no more waiting.
    let newcomer = Person::new();
    let (took, registered) = timed(|| api.register(&newcomer.registration()));
    assert!(took < BOUND, "register took {took:?}");
    assert_eq!(registered.status, 201, "{}", registered.text);

    redis.resume();

    let (took, me) = timed(|| api.me(&user.access_token));
    assert_eq!(me.status, 200, "{}", me.text);
    assert!(
        took < Duration::from_secs(2),
        "/me after Redis came back took {took:?}"
    );
    let logout = api.bearer("POST", "/api/v1/auth/logout", &user.access_token, None);
    assert_eq!(logout.status, 204, "{}", logout.text);
    assert_eq!(active_sessions(&user.user_id), 0);
    assert_eq!(
        api.login(&newcomer.second_login, &newcomer.password).status,
        200
    );
}
