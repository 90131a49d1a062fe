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
//! in, read `/me`, and log out of one session or of all.

use e2e::{claims_of, fresh_database, Api, OwnHost, Person, Reply};
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

#[test]
fn every_service_connection_closed_under_load_is_503_never_500_and_nothing_answered_is_lost() {
    let (owner, service) = fresh_database("connections_closed");
    let host = OwnHost::start(&[("SPIN_VARIABLE_DB_URL", service)]);
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
    let mut terminated = Vec::new();
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
        let mut db = postgres::Client::connect(&owner, postgres::NoTls).unwrap();
        for at in [3, 5, 7] {
            std::thread::sleep(Duration::from_secs(at).saturating_sub(started.elapsed()));
            let n: i64 = db
                .query_one(
                    "SELECT count(*) FROM (
                       SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                       WHERE datname = current_database() AND usename = 'auth_service') t",
                    &[],
                )
                .unwrap()
                .get(0);
            terminated.push(n);
        }
        std::thread::sleep(LOAD.saturating_sub(started.elapsed()));
        done.store(true, Ordering::SeqCst);
    });

    let told = told.into_inner().unwrap();
    let mut db = postgres::Client::connect(&owner, postgres::NoTls).unwrap();
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
        "backends terminated {terminated:?}; answers: {:?}; {} registrations and {} logouts checked",
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
        terminated.iter().sum::<i64>() > 0,
        "the service had no backend to terminate: {terminated:?}"
    );
    assert!(
        !told.registered.is_empty() && !told.logged_out.is_empty(),
        "the load did nothing: {:?}",
        told.statuses
    );
}
