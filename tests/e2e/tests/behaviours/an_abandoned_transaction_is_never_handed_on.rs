//! A connection never hands a transaction on to a later request.
//!
//! The component cannot close a PostgreSQL connection: dropping it gives the
//! client back to Spin's pool (deadpool-postgres, `RecyclingMethod::Clean`,
//! which rolls nothing back; the test host recycles the same way). Under the
//! p3 build a call is given up on after 5 s; had the transaction it was in
//! been left open, the next request to borrow that client would run inside
//! it: a logout answered 204 there is undone when the stranger's transaction
//! ends, and its row locks stall everyone else.
//!
//! Here a row lock held from outside for longer than the call timeout blocks
//! a `logout {"all": true}` inside its transaction. PostgreSQL ends the wait
//! itself (`lock_timeout`, migration 0030): the request answers 503 with
//! `Retry-After` before the component would give up, and nothing of it is
//! done. No service connection is left inside a transaction, and the logouts
//! of later requests, several at once (new instances borrow from the pool),
//! all stay done. A second test takes the role's timeouts away and shows that
//! the p3 component alone, having given up on the call, rolls the
//! transaction back before it lets the connection go.

use e2e::{claims_of, fresh_database, serves_p3, sign_up, Api, OwnHost, Reply, SignedIn};
use serde_json::json;
use std::time::{Duration, Instant};

/// How long the p3 build waits for one call before it gives up on it.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// A fresh database of the test's own (so that every service backend in it
/// is this test's) and a host serving it.
struct Setup {
    owner: String,
    host: OwnHost,
}

impl Setup {
    fn start(prefix: &str, role_timeouts: bool) -> Setup {
        let (owner, service) = fresh_database(prefix);
        if !role_timeouts {
            let mut db = postgres::Client::connect(&owner, postgres::NoTls).unwrap();
            db.batch_execute(
                "DO $$ BEGIN
                   EXECUTE format('ALTER ROLE auth_service IN DATABASE %I RESET ALL', current_database());
                 END $$",
            )
            .unwrap();
        }
        let host = OwnHost::start(&[("SPIN_VARIABLE_DB_URL", service)]);
        Setup { owner, host }
    }

    fn db(&self) -> postgres::Client {
        postgres::Client::connect(&self.owner, postgres::NoTls).unwrap()
    }

    fn active_sessions(&self, user_id: &str) -> i64 {
        self.db()
            .query_one(
                "SELECT count(*) FROM auth.sessions
                 WHERE user_id = $1::text::uuid AND revoked_at IS NULL",
                &[&user_id],
            )
            .unwrap()
            .get(0)
    }

    /// Service backends inside a transaction nobody is running a statement
    /// of: a transaction left behind.
    fn service_transactions_left_open(&self) -> i64 {
        self.db()
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND usename = 'auth_service'
                   AND state LIKE 'idle in transaction%'",
                &[],
            )
            .unwrap()
            .get(0)
    }

    /// Whether this session has ended, as committed (`None`: the session
    /// itself was never committed).
    fn session_ended(&self, session_id: &str) -> Option<bool> {
        self.db()
            .query_opt(
                "SELECT revoked_at IS NOT NULL FROM auth.sessions WHERE id = $1::text::uuid",
                &[&session_id],
            )
            .unwrap()
            .map(|row| row.get(0))
    }
}

/// `logout {"all": true}` of `user`, sent while this test holds a lock on
/// every session row of the user for `hold`: the reply and how long it took.
fn logout_all_behind_a_lock(setup: &Setup, user: &SignedIn, hold: Duration) -> (Duration, Reply) {
    let mut db = setup.db();
    let mut lock = db.transaction().unwrap();
    lock.execute(
        "SELECT 1 FROM auth.sessions WHERE user_id = $1::text::uuid FOR UPDATE",
        &[&user.user_id],
    )
    .unwrap();
    let base = setup.host.base.clone();
    let token = user.access_token.clone();
    let started = Instant::now();
    let pending = std::thread::spawn(move || {
        let reply = Api::at(&base).bearer(
            "POST",
            "/api/v1/auth/logout",
            &token,
            Some(&json!({"all": true})),
        );
        (started.elapsed(), reply)
    });
    std::thread::sleep(hold);
    lock.commit().unwrap();
    pending.join().unwrap()
}

/// Later requests, several at once: each signs `user` in and out again.
/// Every logout answered 204 must be done, as committed, for good.
fn later_logouts_stay_done(setup: &Setup, user: &SignedIn, problems: &mut Vec<String>) {
    let answered: Vec<(u16, u16, Option<String>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let api = Api::at(&setup.host.base);
                    let mut out = Vec::new();
                    for _ in 0..3 {
                        let login = api.login(&user.person.second_login, &user.person.password);
                        if login.status != 200 {
                            out.push((login.status, 0, None));
                            continue;
                        }
                        let token = login.json()["access_token"].as_str().unwrap().to_string();
                        let session = claims_of(&token)["sid"].as_str().unwrap().to_string();
                        let logout = api.bearer("POST", "/api/v1/auth/logout", &token, None);
                        out.push((200, logout.status, Some(session)));
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    // Past the service role's idle_in_transaction_session_timeout (4 s): a
    // logout answered inside a transaction left open would be undone by now,
    // or still not committed.
    std::thread::sleep(Duration::from_secs(5));
    for (login, logout, session) in answered {
        if login != 200 || logout != 204 {
            problems.push(format!(
                "a later request failed: login {login}, logout {logout}"
            ));
            continue;
        }
        let session = session.unwrap();
        match setup.session_ended(&session) {
            Some(true) => {}
            Some(false) => problems.push(format!(
                "session {session} was logged out (204) but is not ended in the database"
            )),
            None => problems.push(format!(
                "session {session} was signed in (200) and out (204) but never reached the database"
            )),
        }
    }
}

fn assert_none(problems: &[String]) {
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn a_lock_held_past_the_call_timeout_leaves_no_transaction_to_a_later_request() {
    let setup = Setup::start("abandoned", true);
    let user = sign_up(&setup.host.api);
    let later = sign_up(&setup.host.api);
    let mut problems = Vec::new();

    let (took, reply) = logout_all_behind_a_lock(&setup, &user, Duration::from_secs(7));
    eprintln!("blocked logout: {} after {took:?}", reply.status);
    // The blocked statement has ended (or been ended) by now.
    std::thread::sleep(Duration::from_secs(1));
    let left_open = setup.service_transactions_left_open();
    if left_open > 0 {
        problems.push(format!(
            "{left_open} service connection(s) left inside a transaction"
        ));
    }
    later_logouts_stay_done(&setup, &later, &mut problems);

    // PostgreSQL ended the wait before the component would have given up on
    // it: a clear 503 to retry, and nothing of the logout done.
    if took >= CALL_TIMEOUT {
        problems.push(format!(
            "the blocked logout took {took:?}: not ended by the role's lock_timeout"
        ));
    }
    if reply.status != 503 || reply.header("retry-after").is_none() {
        problems.push(format!(
            "the blocked logout answered {} (Retry-After: {:?}), not 503 with Retry-After: {}",
            reply.status,
            reply.header("retry-after"),
            reply.shown()
        ));
    }
    let active = setup.active_sessions(&user.user_id);
    if reply.status == 503 && active != 1 {
        problems.push(format!(
            "a logout answered 503 changed the sessions: {active} active"
        ));
    }
    assert_none(&problems);
    reply.problem(503);
    assert_eq!(setup.host.api.me(&user.access_token).status, 200);
}

#[test]
fn a_call_given_up_on_in_a_transaction_is_rolled_back_before_its_connection_goes() {
    if !serves_p3() {
        eprintln!(
            "p2 build: no call is given up on (and this test takes the role's timeouts away)"
        );
        return;
    }
    // Without the role's timeouts only the component can end the transaction.
    let setup = Setup::start("abandoned_bare", false);
    let user = sign_up(&setup.host.api);
    let later = sign_up(&setup.host.api);
    let mut problems = Vec::new();

    // Given up on after 5 s; its ROLLBACK, on a deadline of its own (2 s),
    // runs once the lock is let go at 6 s.
    let (took, reply) = logout_all_behind_a_lock(&setup, &user, Duration::from_secs(6));
    eprintln!("logout given up on: {} after {took:?}", reply.status);
    std::thread::sleep(Duration::from_secs(1));
    let left_open = setup.service_transactions_left_open();
    if left_open > 0 {
        problems.push(format!(
            "{left_open} service connection(s) left inside a transaction"
        ));
    }
    later_logouts_stay_done(&setup, &later, &mut problems);

    if reply.status != 503 || reply.header("retry-after").is_none() {
        problems.push(format!(
            "the logout given up on answered {} (Retry-After: {:?}) after {took:?}",
            reply.status,
            reply.header("retry-after"),
        ));
    }
    let active = setup.active_sessions(&user.user_id);
    if active != 1 {
        problems.push(format!(
            "a logout answered 503 changed the sessions: {active} active"
        ));
    }
    assert_none(&problems);
    assert!(took < Duration::from_secs(8), "took {took:?}");
}
