//! After a registration commits, `user.registered` is in the outbox (for the
//! CDC pipeline) and announced on the Redis channel `auth.events`.

use e2e::{admin_db, env, Api, Person};
use serde_json::Value;
use std::time::Duration;

#[test]
fn registration_announces_user_registered_on_redis() {
    let client = redis::Client::open(env("AUTH_REDIS_URL")).unwrap();
    let mut connection = client.get_connection().unwrap();
    let mut pubsub = connection.as_pubsub();
    pubsub.subscribe("auth.events").unwrap();
    pubsub
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();

    let person = Person::new();
    let reply = Api::new().register(&person.registration());
    assert_eq!(reply.status, 201, "{}", reply.text);
    let user_id = reply.json()["user"]["id"].as_str().unwrap().to_string();

    // Other tests register in parallel: wait for this person's event.
    let event = loop {
        let message = pubsub.get_message().expect("an event within 5 s");
        let event: Value = serde_json::from_slice(message.get_payload_bytes()).unwrap();
        if event["user_id"] == user_id.as_str() {
            break event;
        }
    };
    assert_eq!(event["type"], "user.registered");
    assert_eq!(event["second_login"], person.second_login.as_str());
    assert_eq!(event["roles"], serde_json::json!(["customer"]));

    let outbox: Value = admin_db()
        .query_one(
            "SELECT payload FROM auth.outbox WHERE event_type = 'user.registered' AND aggregate_id = $1::text::uuid",
            &[&user_id],
        )
        .unwrap()
        .get(0);
    assert_eq!(outbox["second_login"], person.second_login.as_str());
    assert_eq!(outbox["created_at"], event["created_at"]);
}
