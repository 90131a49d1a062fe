//! A replayed refresh token ends its session. The replay is marked in
//! PostgreSQL by the statement that finds it, so when the end itself cannot
//! be written, the next use of the session ends it: its successor refresh
//! token never rotates again.

use e2e::{admin_db, sign_up, Api};

/// Takes the service's right to end a replayed session away, and gives it
/// back when dropped (even if the test fails).
struct EndRefused;

const END: &str = "auth.end_reused_session(uuid, bytea)";

impl EndRefused {
    fn now() -> EndRefused {
        admin_db()
            .batch_execute(&format!(
                "REVOKE EXECUTE ON FUNCTION {END} FROM auth_service"
            ))
            .unwrap();
        EndRefused
    }
}

impl Drop for EndRefused {
    fn drop(&mut self) {
        admin_db()
            .batch_execute(&format!("GRANT EXECUTE ON FUNCTION {END} TO auth_service"))
            .unwrap();
    }
}

#[test]
fn when_the_end_of_a_replayed_session_fails_the_next_refresh_ends_it() {
    let api = Api::new();
    let user = sign_up(&api);
    let rotated = api.refresh(&user.refresh_token);
    assert_eq!(rotated.status, 200);
    let successor = rotated.json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    std::thread::sleep(std::time::Duration::from_secs(3)); // past the reuse grace

    {
        let _refused = EndRefused::now();
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
    let mut db = admin_db();
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
