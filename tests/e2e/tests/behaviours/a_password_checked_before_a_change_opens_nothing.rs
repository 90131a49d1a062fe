//! A password is checked by bcrypt between two database calls. If the
//! password changes in between, what was checked is no longer the user's
//! password: a login must not open a session ("other sessions revoked" would
//! be a lie), and of two racing password changes only one may win. The race
//! is made deterministic by holding the user's row lock while the request
//! waits on it, then committing a new password hash.

use e2e::{admin_db, sign_up, Api, SignedIn};
use std::time::{Duration, Instant};

/// Any other bcrypt-shaped hash: what a concurrent password change leaves.
const OTHER_HASH: &str = "$2b$04$/////////////////////////////////////////////////////";

/// Runs `request` on another thread while this test holds `user`'s row lock;
/// once the request waits on that lock, commits another password hash.
fn race_against_a_password_change<T: Send + 'static>(
    user: &SignedIn,
    request: impl FnOnce() -> T + Send + 'static,
) -> T {
    let mut db = admin_db();
    let mut tx = db.transaction().unwrap();
    tx.execute(
        "SELECT 1 FROM accounts.users WHERE id = $1::text::uuid FOR UPDATE",
        &[&user.user_id],
    )
    .unwrap();
    let holder: i32 = tx.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    let pending = std::thread::spawn(request);

    // The request has checked the password and now waits for the row.
    let mut watcher = admin_db();
    let started = Instant::now();
    loop {
        let waiting: i64 = watcher
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
                &[&holder],
            )
            .unwrap()
            .get(0);
        if waiting > 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the request never waited"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    tx.execute(
        "UPDATE accounts.users SET password_hash = $2 WHERE id = $1::text::uuid",
        &[&user.user_id, &OTHER_HASH],
    )
    .unwrap();
    tx.commit().unwrap();
    pending.join().unwrap()
}

fn active_sessions(user: &SignedIn) -> i64 {
    admin_db()
        .query_one(
            "SELECT count(*) FROM auth.sessions WHERE user_id = $1::text::uuid AND revoked_at IS NULL",
            &[&user.user_id],
        )
        .unwrap()
        .get(0)
}

#[test]
fn a_login_that_checked_the_old_password_opens_no_session() {
    let user = sign_up(&Api::new());
    let before = active_sessions(&user);
    let (login, password) = (
        user.person.second_login.clone(),
        user.person.password.clone(),
    );
    let reply = race_against_a_password_change(&user, move || Api::new().login(&login, &password));
    reply.problem(401);
    assert_eq!(active_sessions(&user), before, "no session was opened");
}

#[test]
fn of_two_racing_password_changes_only_the_first_wins() {
    let user = sign_up(&Api::new());
    let (token, current) = (user.access_token.clone(), user.person.password.clone());
    let reply = race_against_a_password_change(&user, move || {
        Api::new().bearer(
            "POST",
            "/api/v1/auth/password",
            &token,
            Some(&serde_json::json!({"current_password": current, "new_password": "a brand new secret"})),
        )
    });
    let problem = reply.problem(422);
    assert_eq!(
        problem["errors"][0]["field"], "current_password",
        "{problem}"
    );
    let hash: String = admin_db()
        .query_one(
            "SELECT password_hash FROM accounts.users WHERE id = $1::text::uuid",
            &[&user.user_id],
        )
        .unwrap()
        .get(0);
    assert_eq!(hash, OTHER_HASH, "the change that committed first stands");
}
