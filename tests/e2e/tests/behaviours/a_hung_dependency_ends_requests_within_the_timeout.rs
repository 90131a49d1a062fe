//! A Redis or a PostgreSQL that stops answering (SIGSTOP: connections stay
//! open, new ones are accepted by the kernel, no reply ever comes), then
//! answers again: what each build does, measured and printed.
//!
//! p3: each call to it is given up after 5 s and the request answers 503
//! (or goes on without it where it is optional), well within Spin's
//! `--request-timeout` (./run.sh gives 10 s); `/auth/ready` says 503 within
//! the same bound. Nothing is half-written: a login refused for a hung
//! Redis opened no session, a logout refused for it ended none. Once the
//! dependency answers again, so does the service, within 2 s.
//!
//! p2: Spin's p2 calls cannot be given up on, Spin sets no timeout on p2
//! requests, and no runtime-config setting bounds an outbound PostgreSQL or
//! Redis call (README, "Hung dependencies"): a request waits for as long as
//! the dependency hangs, and answers normally once it is released. The test
//! measures that wait (released after `P2_HANG`), so the README's figures
//! stay true, and the service's recovery after it.

use e2e::{admin_db, serves_p3, sign_up, Api, OwnHost, OwnPostgres, OwnRedis, Person, Reply};
use std::time::{Duration, Instant};

/// The longest a p3 request may take while a dependency hangs: one call
/// given up (5 s), and a margin for a loaded machine.
const BOUND: Duration = Duration::from_secs(8);
/// How long the dependency hangs in the p2 measurement.
const P2_HANG: Duration = Duration::from_secs(6);
/// How soon after the release the service must serve normally again.
const RECOVERY: Duration = Duration::from_secs(2);

fn build() -> &'static str {
    if serves_p3() {
        "p3"
    } else {
        "p2"
    }
}

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

/// p3: `request`, made while the dependency hangs, answers `expected`
/// within `BOUND`; the figure is printed.
fn answers_within_bound(
    dependency: &str,
    what: &str,
    expected: &[u16],
    request: impl FnOnce() -> Reply,
) {
    let (took, reply) = timed(request);
    println!(
        "MEASURED {} build, {dependency} hung: {what} answered {} after {took:.2?}",
        build(),
        reply.status
    );
    assert!(took < BOUND, "{what} took {took:?}");
    assert!(
        expected.contains(&reply.status),
        "{what}: {} {}",
        reply.status,
        reply.shown()
    );
    if what == "/auth/ready" {
        // Readiness names what it waited for in vain.
        let check = dependency.to_lowercase();
        assert_eq!(
            reply.json()["checks"][&check],
            "unavailable",
            "{}",
            reply.text
        );
    } else if reply.status == 503 {
        reply.problem(503);
    }
}

/// p2: `request`, made while the dependency hangs, waits until `release`
/// (called after `P2_HANG`) and then answers as usual (`expected`); the
/// wait is printed.
fn waits_for_the_release(
    dependency: &str,
    what: &str,
    expected: u16,
    request: impl FnOnce() -> Reply + Send,
    release: impl FnOnce(),
) {
    std::thread::scope(|scope| {
        let started = Instant::now();
        let waiting = scope.spawn(move || {
            let reply = request();
            (started.elapsed(), reply)
        });
        std::thread::sleep(P2_HANG);
        let answered_before_release = waiting.is_finished();
        release();
        let (took, reply) = waiting.join().unwrap();
        println!(
            "MEASURED p2 build, {dependency} hung: {what} answered {} after {took:.2?} \
             (released after {P2_HANG:?})",
            reply.status
        );
        assert!(
            !answered_before_release,
            "{what} answered {} while {dependency} hung: the README says p2 waits",
            reply.status
        );
        assert_eq!(reply.status, expected, "{what}: {}", reply.shown());
    });
}

/// Once released, the service serves normally within `RECOVERY`.
fn serves_again(dependency: &str, api: &Api, person: &Person) {
    let (took, login) = timed(|| api.login(&person.second_login, &person.password));
    println!(
        "MEASURED {} build, {dependency} released: login answered {} after {took:.2?}",
        build(),
        login.status
    );
    assert_eq!(login.status, 200, "{}", login.shown());
    assert!(
        took < RECOVERY,
        "the first login after the release took {took:?}"
    );
    let token = login.json()["access_token"].as_str().unwrap().to_string();
    let (took, me) = timed(|| api.me(&token));
    assert_eq!(me.status, 200, "{}", me.text);
    assert!(took < RECOVERY, "/me after the release took {took:?}");
    assert_eq!(api.get("/api/v1/auth/ready").status, 200);
}

#[test]
fn a_hung_redis_costs_a_bounded_wait_on_p3_a_clear_503_and_nothing_half_done() {
    let redis = OwnRedis::start();
    let host = OwnHost::start(&redis.variables());
    let api: &Api = &host.api;
    let user = sign_up(api);
    assert_eq!(active_sessions(&user.user_id), 1);

    if !serves_p3() {
        redis.pause();
        waits_for_the_release(
            "Redis",
            "login",
            200,
            || api.login(&user.person.second_login, &user.person.password),
            || redis.resume(),
        );
        // Readiness waits as well: a probe's own timeout is what notices.
        redis.pause();
        waits_for_the_release(
            "Redis",
            "/auth/ready",
            200,
            || api.get("/api/v1/auth/ready"),
            || redis.resume(),
        );
        serves_again("Redis", api, &user.person);
        return;
    }

    redis.pause();
    answers_within_bound("Redis", "login", &[503], || {
        api.login(&user.person.second_login, &user.person.password)
    });
    assert_eq!(
        active_sessions(&user.user_id),
        1,
        "a refused login opened a session"
    );
    answers_within_bound("Redis", "logout", &[503], || {
        api.bearer("POST", "/api/v1/auth/logout", &user.access_token, None)
    });
    assert_eq!(
        active_sessions(&user.user_id),
        1,
        "a refused logout ended the session"
    );
    answers_within_bound("Redis", "/auth/ready", &[503], || {
        api.get("/api/v1/auth/ready")
    });
    // Registration does without Redis (its rate limit fails open, its event
    // waits in the outbox): one call given up, then no more waiting.
    let newcomer = Person::new();
    answers_within_bound("Redis", "register", &[201], || {
        api.register(&newcomer.registration())
    });

    redis.resume();
    serves_again("Redis", api, &newcomer);
    let logout = api.bearer("POST", "/api/v1/auth/logout", &user.access_token, None);
    assert_eq!(logout.status, 204, "{}", logout.text);
    assert_eq!(active_sessions(&user.user_id), 0);
}

#[test]
fn a_hung_postgresql_costs_a_bounded_wait_on_p3_and_a_clear_503() {
    // A server of the test's own: stopping the shared one would stop every
    // other test.
    let postgres = OwnPostgres::start();
    let host = OwnHost::start(&postgres.variables());
    let api: &Api = &host.api;
    let user = sign_up(api);

    if !serves_p3() {
        let stopped = postgres.pause();
        waits_for_the_release(
            "PostgreSQL",
            "login",
            200,
            || api.login(&user.person.second_login, &user.person.password),
            || postgres.resume(&stopped),
        );
        let stopped = postgres.pause();
        waits_for_the_release(
            "PostgreSQL",
            "/auth/ready",
            200,
            || api.get("/api/v1/auth/ready"),
            || postgres.resume(&stopped),
        );
        serves_again("PostgreSQL", api, &user.person);
        return;
    }

    let stopped = postgres.pause();
    answers_within_bound("PostgreSQL", "login", &[503], || {
        api.login(&user.person.second_login, &user.person.password)
    });
    answers_within_bound("PostgreSQL", "register", &[503], || {
        api.register(&Person::new().registration())
    });
    answers_within_bound("PostgreSQL", "/auth/ready", &[503], || {
        api.get("/api/v1/auth/ready")
    });
    // `/me` is answered from Redis's copy while it has one.
    answers_within_bound("PostgreSQL", "/me", &[200, 503], || {
        api.me(&user.access_token)
    });

    postgres.resume(&stopped);
    serves_again("PostgreSQL", api, &user.person);
}
