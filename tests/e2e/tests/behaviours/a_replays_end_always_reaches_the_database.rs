//! A replayed refresh token ends its session. The replay is marked in
//! PostgreSQL by the statement that finds it, so when the end itself cannot
//! be written, the next use of the session ends it: its successor refresh
//! token never rotates again. A database and a host of the test's own: the
//! right it takes away would fail every other test's replays too.

use e2e::{fresh_database, sign_up, OwnHost};

fn connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap()
}

/// Takes the service's right to end a replayed session away, and gives it
/// back when dropped (even if the test fails).
struct EndRefused<'a>(&'a str);

const END: &str = "auth.end_replayed_session(uuid, bytea)";

impl EndRefused<'_> {
    fn now(owner: &str) -> EndRefused<'_> {
        connect(owner)
            .batch_execute(&format!(
                "REVOKE EXECUTE ON FUNCTION {END} FROM auth_service"
            ))
            .unwrap();
        EndRefused(owner)
    }
}

impl Drop for EndRefused<'_> {
    fn drop(&mut self) {
        connect(self.0)
            .batch_execute(&format!("GRANT EXECUTE ON FUNCTION {END} TO auth_service"))
            .unwrap();
    }
}

#[test]
fn when_the_end_of_a_replayed_session_fails_the_next_refresh_ends_it() {
    let (owner, service) = fresh_database("replay_end");
    let host = OwnHost::start(&[("SPIN_VARIABLE_DB_URL", service)]);
    let api = &host.api;
    let user = sign_up(api);
    let rotated = api.refresh(&user.refresh_token);
    assert_eq!(rotated.status, 200);
    let successor = rotated.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    std::thread::sleep(std::time::Duration::from_secs(3)); // past the reuse grace

    {
        let _refused = EndRefused::now(&owner);
        let replay = api.refresh(&user.refresh_token);
        assert!(
            replay.status >= 500,
            "the end could not be written: {}",
            replay.text
        );
    }

    // The session was not ended in PostgreSQL, but its successor does not
    // rotate: the refresh reports the replay again, and now ends it.
    api.refresh(&successor).problem(401);
    api.refresh(&successor).problem(401);
    let mut db = connect(&owner);
    let row = db
        .query_one(
            "SELECT revoked_reason FROM auth.sessions WHERE user_id = $1::text::uuid",
            &[&user.user_id],
        )
        .unwrap();
    let reason: Option<String> = row.get(0);
    assert_eq!(reason.as_deref(), Some("reuse_detected"));
    api.me(&user.access_token).problem(401);
}
