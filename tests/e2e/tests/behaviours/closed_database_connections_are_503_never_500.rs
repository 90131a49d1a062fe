//! PostgreSQL closing the service's connections under load (a restart, a
//! failover, `pg_terminate_backend`) costs clear 503s with `Retry-After`,
//! never a 500, and loses nothing already answered: every 201 and 204 is
//! still true in the database afterwards.
//!
//! Under the p3 build an instance keeps its connections between requests,
//! so after such an event every kept one is closed: the first statement on
//! one (a `BEGIN` included) runs again on a new connection, and a connection
//! lost mid-request is a 503 (`Closed` reaches the component as
//! `query-error::text`). All of the service's backends in the test's own
//! database are terminated, three times, while six clients register, sign
//! in, read `/me`, and log out of one session or of all; and, on a server
//! of the test's own, PostgreSQL is restarted twice under the same load.

use e2e::{claims_of, fresh_database, Api, OwnHost, OwnPostgres, Person, Reply};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WORKERS: usize = 6;
const LOAD: Duration = Duration::from_secs(10);

/// What the clients were told, to hold against the database afterwards.
#[derive(Default)]
struct Told {
    /// Status counts per step.
    statuses: BTreeMap<String, u32>,
    /// Answers that must never be: 5xx other than 503, 503 without Retry-After.
    wrong: Vec<String>,
    registered: Vec<String>,
    logged_out: Vec<String>,
}

impl Told {
    fn saw(&mut self, step: &str, reply: &Reply) {
        *self
            .statuses
            .entry(format!("{step} {}", reply.status))
            .or_default() += 1;
        let wrong = match reply.status {
            503 => reply.header("retry-after").is_none(),
            500..=599 => true,
            _ => false,
        };
        if wrong {
            self.wrong.push(format!(
                "{step}: {} (Retry-After {:?}) {}",
                reply.status,
                reply.header("retry-after"),
                reply.shown()
            ));
        }
    }
}

/// One round of one client: register someone, then sign in as `who`, read
/// `/me`, and log out of this session or (every other round) of all.
fn round(api: &Api, who: &Person, all: bool, told: &Mutex<Told>) {
    let newcomer = Person::new();
    let registered = api.register(&newcomer.registration());
    let mut t = told.lock().unwrap();
    t.saw("register", &registered);
    if registered.status == 201 {
        let id = registered.json()["user"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        t.registered.push(id);
    }
    drop(t);

    let login = api.login(&who.second_login, &who.password);
    told.lock().unwrap().saw("login", &login);
    if login.status != 200 {
        return;
    }
    let token = login.json()["access_token"].as_str().unwrap().to_string();
    let session = claims_of(&token)["sid"].as_str().unwrap().to_string();
    let me = api.me(&token);
    told.lock().unwrap().saw("me", &me);
    let (step, body) = if all {
        ("logout all", Some(json!({"all": true})))
    } else {
        ("logout", None)
    };
    let logout = api.bearer("POST", "/api/v1/auth/logout", &token, body.as_ref());
    let mut t = told.lock().unwrap();
    t.saw(step, &logout);
    if logout.status == 204 {
        t.logged_out.push(session);
    }
}

/// Runs the clients against `host` for `LOAD`, calling each of `events`
/// at its second (an event must not panic: the clients would never be
/// told to stop), then holds every 201 and 204 against the database
/// (`owner`'s URL) and every answer against the rules: 503 with
/// `Retry-After` at worst, never another 5xx.
fn under_load(host: &OwnHost, owner: &str, events: &[(u64, &dyn Fn() -> String)]) {
    let people: Vec<Person> = (0..WORKERS)
        .map(|_| {
            let person = Person::new();
            let reply = host.api.register(&person.registration());
            assert_eq!(reply.status, 201, "{}", reply.text);
            person
        })
        .collect();

    let told = Mutex::new(Told::default());
    let done = AtomicBool::new(false);
    let mut happened = Vec::new();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for who in &people {
            let (told, done, base) = (&told, &done, &host.base);
            scope.spawn(move || {
                let api = Api::at(base);
                let mut all = false;
                while !done.load(Ordering::SeqCst) {
                    round(&api, who, all, told);
                    all = !all;
                }
            });
        }
        for (at, event) in events {
            std::thread::sleep(Duration::from_secs(*at).saturating_sub(started.elapsed()));
            happened.push(event());
        }
        std::thread::sleep(LOAD.saturating_sub(started.elapsed()));
        done.store(true, Ordering::SeqCst);
    });

    let told = told.into_inner().unwrap();
    let mut db = postgres::Client::connect(owner, postgres::NoTls).unwrap();
    let mut lost = Vec::new();
    for id in &told.registered {
        let n: i64 = db
            .query_one(
                "SELECT count(*) FROM accounts.users WHERE id = $1::text::uuid",
                &[id],
            )
            .unwrap()
            .get(0);
        if n != 1 {
            lost.push(format!(
                "user {id} was registered (201) but is not in the database"
            ));
        }
    }
    for session in &told.logged_out {
        let ended: bool = db
            .query_one(
                "SELECT revoked_at IS NOT NULL FROM auth.sessions WHERE id = $1::text::uuid",
                &[session],
            )
            .unwrap()
            .get(0);
        if !ended {
            lost.push(format!(
                "session {session} was logged out (204) but is active"
            ));
        }
    }
    eprintln!(
        "{}; answers: {:?}; {} registrations and {} logouts checked",
        happened.join("; "),
        told.statuses,
        told.registered.len(),
        told.logged_out.len()
    );
    assert!(
        told.wrong.is_empty(),
        "{} wrong answers:\n{}",
        told.wrong.len(),
        told.wrong.join("\n")
    );
    assert!(lost.is_empty(), "{}", lost.join("\n"));
    assert!(
        !told.registered.is_empty() && !told.logged_out.is_empty(),
        "the load did nothing: {:?}",
        told.statuses
    );
}

#[test]
fn every_service_connection_closed_under_load_is_503_never_500_and_nothing_answered_is_lost() {
    let (owner, service) = fresh_database("connections_closed");
    let host = OwnHost::start(&[("SPIN_VARIABLE_DB_URL", service)]);
    let db = Mutex::new(postgres::Client::connect(&owner, postgres::NoTls).unwrap());
    let terminated = Mutex::new(Vec::new());
    let terminate = || {
        let n = db
            .lock()
            .unwrap()
            .query_one(
                "SELECT count(*) FROM (
                   SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                   WHERE datname = current_database() AND usename = 'auth_service') t",
                &[],
            )
            .map_or(-1, |row| row.get::<_, i64>(0));
        terminated.lock().unwrap().push(n);
        format!("{n} backends terminated")
    };
    under_load(
        &host,
        &owner,
        &[(3, &terminate), (5, &terminate), (7, &terminate)],
    );
    let terminated = terminated.into_inner().unwrap();
    assert!(
        terminated.iter().all(|n| *n >= 0) && terminated.iter().sum::<i64>() > 0,
        "the service had no backend to terminate: {terminated:?}"
    );
}

#[test]
fn postgresql_restarted_under_load_is_503_never_500_and_nothing_answered_is_lost() {
    // A cluster of the test's own: restarting the shared one would end
    // every other test's connections too.
    let postgres = OwnPostgres::start();
    let host = OwnHost::start(&postgres.variables());
    let restarts = Mutex::new(Vec::new());
    let restart = || {
        let started = Instant::now();
        let done = std::panic::catch_unwind(|| postgres.restart()).is_ok();
        restarts.lock().unwrap().push(done);
        format!("restarted ({done}) in {:?}", started.elapsed())
    };
    under_load(&host, &postgres.owner_url, &[(3, &restart), (7, &restart)]);
    assert_eq!(
        restarts.into_inner().unwrap(),
        [true, true],
        "both restarts done"
    );
}
