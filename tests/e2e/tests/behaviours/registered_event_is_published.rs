//! Every registration writes exactly one `user.registered` row to the outbox,
//! in its own transaction (for the CDC pipeline), and announces it on the
//! Redis channel `auth.events` with its `event_id`, marking the row
//! published. With Redis down the registration still succeeds and the row
//! waits, unpublished, until a later registration or the operator command
//! (`sql/publish-outbox`) announces it — with the same event id.

use e2e::{admin_db, env, fresh_database, Api, OwnHost, OwnRedis, Person};
use serde_json::Value;
use std::time::Duration;

/// A connection to the Redis at `url`, for a subscriber (`as_pubsub`).
fn connect(url: &str) -> redis::Connection {
    let client = redis::Client::open(url).unwrap();
    let connection = client.get_connection().unwrap();
    connection
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    connection
}

/// Waits for the event of `user_id` (others register in parallel).
fn event_of(pubsub: &mut redis::PubSub<'_>, user_id: &str) -> Value {
    loop {
        let message = pubsub.get_message().expect("an event within 10 s");
        let event: Value = serde_json::from_slice(message.get_payload_bytes()).unwrap();
        if event["user_id"] == user_id {
            return event;
        }
    }
}

/// The user's outbox rows in the database at `owner` (its owner's URL):
/// (event_id, published).
fn outbox_of(owner: &str, user_id: &str) -> Vec<(String, bool)> {
    postgres::Client::connect(owner, postgres::NoTls)
        .unwrap()
        .query(
            "SELECT event_id::text, published_at IS NOT NULL FROM auth.outbox
             WHERE event_type = 'user.registered' AND aggregate_id = $1::text::uuid",
            &[&user_id],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

fn register(api: &Api) -> (Person, String) {
    let person = Person::new();
    let reply = api.register(&person.registration());
    assert_eq!(reply.status, 201, "{}", reply.text);
    let user_id = reply.json()["user"]["id"].as_str().unwrap().to_string();
    (person, user_id)
}

#[test]
fn registration_announces_its_event_once_with_its_id() {
    let mut connection = connect(&env("AUTH_REDIS_URL"));
    let mut subscriber = connection.as_pubsub();
    subscriber.subscribe("auth.events").unwrap();
    let (person, user_id) = register(&Api::new());
    let event = event_of(&mut subscriber, &user_id);
    assert_eq!(event["type"], "user.registered");
    assert_eq!(event["second_login"], person.second_login.as_str());
    assert_eq!(event["roles"], serde_json::json!(["customer"]));

    let rows = outbox_of(&env("AUTH_DB_ADMIN_URL"), &user_id);
    assert_eq!(rows.len(), 1, "exactly one outbox row");
    assert_eq!(event["event_id"], rows[0].0.as_str());
    assert!(rows[0].1, "marked published");
    let payload: Value = admin_db()
        .query_one(
            "SELECT payload FROM auth.outbox WHERE event_id = $1::text::uuid",
            &[&rows[0].0],
        )
        .unwrap()
        .get(0);
    assert_eq!(payload["created_at"], event["created_at"]);
}

/// Both ways a waiting event goes out, one after the other: the operator
/// command announces every waiting event, so it must not run while the
/// other way is being watched. A database of its own: in the shared one,
/// other tests' registrations (through the shared Redis) would announce the
/// waiting event first.
#[test]
fn with_redis_down_events_wait_and_go_out_later_with_their_ids() {
    let (owner, service) = fresh_database("outbox_waits");
    a_later_registration_announces_what_waits(&owner, &service);
    the_operator_command_announces_what_waits(&owner, &service);
}

fn a_later_registration_announces_what_waits(owner: &str, service: &str) {
    let redis = OwnRedis::start();
    let port = redis.port;
    let mut variables = vec![
        ("SPIN_VARIABLE_OUTBOX_RETRY_SECONDS", "1".to_string()),
        ("SPIN_VARIABLE_DB_URL", service.to_string()),
    ];
    variables.extend(redis.variables());
    let host = OwnHost::start(&variables);
    drop(redis);

    let (_, waiting) = register(&host.api);
    let rows = outbox_of(owner, &waiting);
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].1, "unpublished while Redis is down");

    let mut redis_back = e2e::start_redis(port);
    let mut connection = connect(&format!("redis://127.0.0.1:{port}"));
    let mut subscriber = connection.as_pubsub();
    subscriber.subscribe("auth.events").unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    // Each registration also announces up to 10 waiting events, oldest
    // first.
    let mut later = String::new();
    for _ in 0..5 {
        later = register(&host.api).1;
        if outbox_of(owner, &waiting)[0].1 {
            break;
        }
    }
    let event = event_of(&mut subscriber, &waiting);
    assert_eq!(event["event_id"], rows[0].0.as_str(), "the same event id");
    assert!(outbox_of(owner, &waiting)[0].1, "now marked published");
    assert!(outbox_of(owner, &later)[0].1);
    let _ = redis_back.kill();
    let _ = redis_back.wait();
}

fn the_operator_command_announces_what_waits(owner: &str, service: &str) {
    let redis = OwnRedis::start();
    let port = redis.port;
    let mut variables = vec![("SPIN_VARIABLE_DB_URL", service.to_string())];
    variables.extend(redis.variables());
    let host = OwnHost::start(&variables);
    drop(redis);
    let (_, waiting) = register(&host.api);
    assert!(!outbox_of(owner, &waiting)[0].1);

    let mut redis_back = e2e::start_redis(port);
    let url = format!("redis://127.0.0.1:{port}");
    let mut connection = connect(&url);
    let mut subscriber = connection.as_pubsub();
    subscriber.subscribe("auth.events").unwrap();
    let command = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sql/publish-outbox");
    let status = std::process::Command::new(command)
        .arg(owner)
        .arg(&url)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let event = event_of(&mut subscriber, &waiting);
    assert_eq!(event["event_id"], outbox_of(owner, &waiting)[0].0.as_str());
    assert!(outbox_of(owner, &waiting)[0].1, "marked published");
    let _ = redis_back.kill();
    let _ = redis_back.wait();
}
