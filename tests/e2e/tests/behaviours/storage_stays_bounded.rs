//! Nothing grows without bound: a refresh writes no row (the session's
//! generation moves), the consumed refresh tokens of the stored scheme a
//! session carried over from before migration 0035 are kept for reuse
//! detection but at most the newest 100 per session, ended sessions go once
//! older than `retention_days`, and a user's session queries touch only live
//! rows however many ended sessions they have. Retention runs for the user at
//! a sign-in once a day at most (off the hot path of frequent sign-ins), and
//! for everyone through the operator command (`SELECT auth.purge()`, README
//! "Retention").

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use e2e::{admin_db, sign_up, Api, SignedIn};
use serde_json::Value;

const KEPT_PER_SESSION: i64 = 100;

fn session_of(user: &SignedIn) -> String {
    e2e::claims_of(&user.access_token)["sid"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `count` refreshes of the session `first_token` opened, each presenting
/// the generation the one before made, as `auth.refresh_session` does them
/// for the API (the token's seed: its bytes 24..40).
fn refresh_many(first_token: &str, count: i32) {
    let token = URL_SAFE_NO_PAD.decode(first_token).unwrap();
    let sid = uuid_of(&token[..16]);
    admin_db()
        .execute(
            "DO $$
             DECLARE
               v_outcome jsonb;
             BEGIN
               FOR i IN 0..COUNT - 1 LOOP
                 v_outcome := auth.refresh_session('SID', decode('SEED', 'hex'), i, 10);
                 IF v_outcome->>'outcome' <> 'rotated' THEN
                   RAISE EXCEPTION 'refresh % failed: %', i, v_outcome;
                 END IF;
               END LOOP;
             END $$"
                .replace("SID", &sid)
                .replace("SEED", &hex(&token[24..40]))
                .replace("COUNT", &count.to_string())
                .as_str(),
            &[],
        )
        .unwrap();
}

/// A session carried over from the stored scheme: `count` consumed tokens
/// (the newest a second apart) and a live one, as a chain of rotations
/// before migration 0035 left them.
fn stored_history(session: &str, count: i32) {
    admin_db()
        .execute(
            "INSERT INTO auth.refresh_tokens (token_hash, session_id, issued_at, consumed_at)
             SELECT sha256(convert_to($1 || i::text, 'UTF8')), $1::text::uuid,
                    now() - interval '2 days',
                    CASE WHEN i <= $2 THEN now() - make_interval(secs => $2 - i + 1) END
             FROM generate_series(1, $2 + 1) i",
            &[&session, &count],
        )
        .unwrap();
}

fn uuid_of(bytes: &[u8]) -> String {
    let hex = hex(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn tokens_of(session: &str) -> (i64, i64) {
    let row = admin_db()
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE consumed_at IS NULL)
             FROM auth.refresh_tokens WHERE session_id = $1::text::uuid",
            &[&session],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

#[test]
fn ten_thousand_refreshes_write_no_row_and_stored_tokens_stay_bounded() {
    let api = Api::new();
    let user = sign_up(&api);
    let session = session_of(&user);
    refresh_many(&user.refresh_token, 10_000);
    assert_eq!(tokens_of(&session), (0, 0), "no row per token");
    let generation: i64 = admin_db()
        .query_one(
            "SELECT refresh_generation FROM auth.sessions WHERE id = $1::text::uuid",
            &[&session],
        )
        .unwrap()
        .get(0);
    assert_eq!(generation, 10_000, "one row moved ten thousand times");

    // A session carried over from the stored scheme with a long history.
    stored_history(&session, 10_000);
    assert_eq!(tokens_of(&session), (10_001, 1));

    // Signed up today: a sign-in today leaves retention for later.
    let login = api.login(&user.person.second_login, &user.person.password);
    assert_eq!(login.status, 200, "{}", login.text);
    assert_eq!(tokens_of(&session), (10_001, 1), "no retention twice a day");

    // A day later the next sign-in runs the user's retention first.
    admin_db()
        .execute(
            "UPDATE accounts.users SET retention_run_at = now() - interval '25 hours'
             WHERE id = $1::text::uuid",
            &[&user.user_id],
        )
        .unwrap();
    let login = api.login(&user.person.second_login, &user.person.password);
    assert_eq!(login.status, 200, "{}", login.text);
    let (rows, live) = tokens_of(&session);
    assert_eq!(live, 1, "the live token survives");
    assert_eq!(
        rows,
        KEPT_PER_SESSION + 1,
        "the newest consumed ones are kept"
    );
}

#[test]
fn the_operator_purge_bounds_tokens_and_drops_old_ended_sessions() {
    let api = Api::new();
    let user = sign_up(&api);
    let session = session_of(&user);
    stored_history(&session, 300);
    let mut db = admin_db();
    // An old ended session of the same user, 40 days past its end.
    let old: String = db
        .query_one(
            "INSERT INTO auth.sessions (user_id, created_at, last_used_at, expires_at, revoked_at, revoked_reason)
             VALUES ($1::text::uuid, now() - interval '70 days', now() - interval '70 days',
                     now() + interval '1 day', now() - interval '40 days', 'logout')
             RETURNING id::text",
            &[&user.user_id],
        )
        .unwrap()
        .get(0);
    // A phone code asked for two days ago (for a phone nobody holds), and
    // one asked for now.
    let (stale, fresh) = (e2e::Person::new().phone, e2e::Person::new().phone);
    for (phone, age) in [(&stale, "2 days"), (&fresh, "0 days")] {
        db.execute(
            "INSERT INTO auth.otp_codes (phone, purpose, code_digest, created_at, expires_at)
             VALUES ($1, 'register', sha256('x'), now() - $2::text::interval,
                     now() - $2::text::interval + interval '5 minutes')",
            &[phone, &age],
        )
        .unwrap();
    }
    loop {
        let done: Value = db
            .query_one("SELECT auth.purge(30, 1000)", &[])
            .unwrap()
            .get(0);
        if done["sessions_deleted"] == 0
            && done["refresh_tokens_deleted"] == 0
            && done["phone_codes_deleted"] == 0
        {
            break;
        }
    }
    let codes = |phone: &str| -> i64 {
        admin_db()
            .query_one(
                "SELECT count(*) FROM auth.otp_codes WHERE phone = $1",
                &[&phone],
            )
            .unwrap()
            .get(0)
    };
    assert_eq!(
        (codes(&stale), codes(&fresh)),
        (0, 1),
        "the stale code only is gone"
    );
    assert_eq!(tokens_of(&session), (KEPT_PER_SESSION + 1, 1));
    let left: i64 = db
        .query_one(
            "SELECT count(*) FROM auth.sessions WHERE id = $1::text::uuid",
            &[&old],
        )
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "the session ended 40 days ago is gone");
    assert_eq!(
        api.me(&user.access_token).status,
        200,
        "the live session is untouched"
    );
}

/// Rows a query on the user's active sessions looks at and throws away.
fn rows_filtered_out(user_id: &str) -> (i64, i64) {
    let mut db = admin_db();
    let mut tx = db.transaction().unwrap();
    tx.batch_execute("SET LOCAL enable_seqscan = off").unwrap();
    let plan: Value = tx
        .query_one(
            "EXPLAIN (ANALYZE, FORMAT JSON)
             SELECT id FROM auth.sessions
             WHERE user_id = $1::text::uuid AND revoked_at IS NULL AND expires_at > now()",
            &[&user_id],
        )
        .unwrap()
        .get(0);
    fn walk(node: &Value, removed: &mut i64) {
        for key in ["Rows Removed by Filter", "Rows Removed by Index Recheck"] {
            *removed += node[key].as_i64().unwrap_or(0);
        }
        for child in node["Plans"].as_array().into_iter().flatten() {
            walk(child, removed);
        }
    }
    let root = &plan[0]["Plan"];
    let mut removed = 0;
    walk(root, &mut removed);
    (root["Actual Rows"].as_i64().unwrap(), removed)
}

#[test]
fn session_queries_touch_only_live_sessions() {
    let api = Api::new();
    let user = sign_up(&api);
    // A thousand revoked sessions and a thousand that merely expired.
    admin_db()
        .execute(
            "INSERT INTO auth.sessions (user_id, created_at, last_used_at, expires_at, revoked_at, revoked_reason)
             SELECT $1::text::uuid, now() - interval '2 days', now() - interval '2 days',
                    now() + interval '1 day', now() - interval '1 day', 'logout'
             FROM generate_series(1, 1000);
             ",
            &[&user.user_id],
        )
        .unwrap();
    admin_db()
        .execute(
            "INSERT INTO auth.sessions (user_id, created_at, last_used_at, expires_at)
             SELECT $1::text::uuid, now() - interval '2 days', now() - interval '2 days',
                    now() - interval '1 day'
             FROM generate_series(1, 1000)",
            &[&user.user_id],
        )
        .unwrap();
    // Signing in a day after their last retention marks the expired ones
    // ended, so they leave the index of active sessions that listing and
    // eviction read.
    admin_db()
        .execute(
            "UPDATE accounts.users SET retention_run_at = now() - interval '25 hours'
             WHERE id = $1::text::uuid",
            &[&user.user_id],
        )
        .unwrap();
    let login = api.login(&user.person.second_login, &user.person.password);
    assert_eq!(login.status, 200, "{}", login.text);
    let (live, removed) = rows_filtered_out(&user.user_id);
    assert_eq!(
        (live, removed),
        (2, 0),
        "live rows found, ended rows looked at"
    );

    // The listing itself, timed beside a new user's (figures, not a limit).
    let newcomer = sign_up(&api);
    let median = |token: &str| {
        let mut took: Vec<f64> = (0..25)
            .map(|_| {
                let started = std::time::Instant::now();
                let reply = api.bearer("GET", "/api/v1/auth/sessions", token, None);
                assert_eq!(reply.status, 200);
                started.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        took.sort_by(f64::total_cmp);
        took[took.len() / 2]
    };
    println!(
        "GET /sessions median: {:.2} ms with 2 000 ended sessions, {:.2} ms for a new user",
        median(login.json()["access_token"].as_str().unwrap()),
        median(&newcomer.access_token)
    );
}
