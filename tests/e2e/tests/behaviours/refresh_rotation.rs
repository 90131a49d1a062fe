//! Refresh rotates the token within the same session (RFC 9700 §4.14.2):
//! a long chain works, concurrent refreshes inside the grace all succeed,
//! and a replay after the grace revokes the whole session. The shared test
//! host runs with `refresh_reuse_grace_seconds = 2`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use e2e::{admin_db, claims_of, sign_up, Api};
use sha2::{Digest, Sha256};
use std::time::Duration;

const GRACE: Duration = Duration::from_millis(2_500);

fn session_expiry(sid: &str) -> String {
    admin_db()
        .query_one(
            "SELECT expires_at::text FROM auth.sessions WHERE id = $1::text::uuid",
            &[&sid],
        )
        .unwrap()
        .get(0)
}

fn rotate(api: &Api, token: &str) -> (String, String) {
    let reply = api.refresh(token);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let body = reply.json();
    (
        body["access_token"].as_str().unwrap().to_string(),
        body["refresh_token"].as_str().unwrap().to_string(),
    )
}

#[test]
fn a_chain_of_twenty_refreshes_keeps_the_session_and_retires_each_token() {
    let api = Api::new();
    let user = sign_up(&api);
    let sid = claims_of(&user.access_token)["sid"].clone();
    let expires_before = session_expiry(sid.as_str().unwrap());

    let mut chain = vec![user.refresh_token.clone()];
    for _ in 0..20 {
        let (access, refresh) = rotate(&api, chain.last().unwrap());
        assert_eq!(claims_of(&access)["sid"], sid, "same session");
        assert_eq!(api.me(&access).status, 200);
        chain.push(refresh);
    }
    let expires_after = session_expiry(sid.as_str().unwrap());
    assert_eq!(
        expires_before, expires_after,
        "rotation never extends the session"
    );

    std::thread::sleep(GRACE);
    // Every consumed token after the grace is a replay: 401, and the first
    // replay ends the session, so the newest token fails too.
    for old in &chain[..chain.len() - 1] {
        api.refresh(old).problem(401);
    }
    api.refresh(chain.last().unwrap()).problem(401);
    let reason: Option<String> = admin_db()
        .query_one(
            "SELECT revoked_reason FROM auth.sessions WHERE id = $1::text::uuid",
            &[&sid.as_str().unwrap()],
        )
        .unwrap()
        .get(0);
    assert_eq!(reason.as_deref(), Some("reuse_detected"));
}

#[test]
fn twenty_parallel_refreshes_inside_the_grace_all_get_the_same_next_token() {
    let api = Api::new();
    let user = sign_up(&api);
    let sid = claims_of(&user.access_token)["sid"].clone();
    let replies: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..20)
            .map(|_| scope.spawn(|| Api::new().refresh(&user.refresh_token)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut newest = Vec::new();
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.text);
        let body = reply.json();
        assert_eq!(
            claims_of(body["access_token"].as_str().unwrap())["sid"],
            sid
        );
        assert_eq!(api.me(body["access_token"].as_str().unwrap()).status, 200);
        newest.push(body["refresh_token"].as_str().unwrap().to_string());
    }
    newest.sort();
    newest.dedup();
    // One rotation happened; the other tabs were told its token, so every
    // tab holds the one the next refresh must present.
    assert_eq!(newest.len(), 1, "every answer is the same new token");
    assert_ne!(newest[0], user.refresh_token);

    // Extend the chain once more, then replay the original after the grace.
    let (_, latest) = rotate(&api, &newest[0]);
    std::thread::sleep(GRACE);
    api.refresh(&user.refresh_token).problem(401);
    api.refresh(&latest).problem(401);
}

#[test]
fn bad_refresh_tokens_all_get_the_same_401() {
    let api = Api::new();
    let expired = sign_up(&api);
    admin_db()
        .execute(
            "UPDATE auth.sessions SET created_at = now() - interval '31 days', expires_at = now() - interval '1 day'
             WHERE id = $1::text::uuid",
            &[&claims_of(&expired.access_token)["sid"].as_str().unwrap()],
        )
        .unwrap();
    let revoked = sign_up(&api);
    assert_eq!(
        api.bearer("POST", "/api/v1/auth/logout", &revoked.access_token, None)
            .status,
        204
    );

    let expected = api
        .refresh("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .problem(401);
    for token in [
        expired.refresh_token.as_str(),
        revoked.refresh_token.as_str(),
        "not a token",
        &revoked.access_token,
    ] {
        assert_eq!(api.refresh(token).problem(401), expected, "{token}");
    }
    api.post_json("/api/v1/auth/refresh", &serde_json::json!({}))
        .problem(422);
}

fn session_revoked(sid: &str) -> Option<String> {
    admin_db()
        .query_one(
            "SELECT revoked_reason FROM auth.sessions WHERE id = $1::text::uuid",
            &[&sid],
        )
        .unwrap()
        .get(0)
}

#[test]
fn a_forged_token_for_a_known_session_ends_nothing() {
    let api = Api::new();
    let user = sign_up(&api);
    // Every access token names its session; a thief with one writes a
    // token for an earlier generation of it (a replay, were it genuine).
    let (_, current) = rotate(&api, &user.refresh_token);
    let sid = claims_of(&user.access_token)["sid"]
        .as_str()
        .unwrap()
        .to_string();
    let genuine = URL_SAFE_NO_PAD.decode(&user.refresh_token).unwrap();
    let mut forged = genuine.clone();
    forged[40..].copy_from_slice(&e2e::unique_bytes::<32>());
    api.refresh(&URL_SAFE_NO_PAD.encode(&forged)).problem(401);
    // The generation moved forward with the old MAC kept: no more use.
    let mut ahead = genuine.clone();
    ahead[23] = 9;
    api.refresh(&URL_SAFE_NO_PAD.encode(&ahead)).problem(401);
    std::thread::sleep(GRACE);
    assert_eq!(session_revoked(&sid), None, "the session lives on");
    rotate(&api, &current);
}

#[test]
fn a_token_issued_before_the_seeds_refreshes_once_more_and_its_replay_is_seen() {
    let api = Api::new();
    let user = sign_up(&api);
    let sid = claims_of(&user.access_token)["sid"]
        .as_str()
        .unwrap()
        .to_string();
    // The session as migration 0035 found it: no seed, and a token of the
    // stored scheme (43 characters, its SHA-256 in auth.refresh_tokens).
    let old = URL_SAFE_NO_PAD.encode(e2e::unique_bytes::<32>());
    let mut db = admin_db();
    db.execute(
        "UPDATE auth.sessions SET refresh_seed_digest = NULL WHERE id = $1::text::uuid",
        &[&sid],
    )
    .unwrap();
    db.execute(
        "INSERT INTO auth.refresh_tokens (token_hash, session_id) VALUES ($1, $2::text::uuid)",
        &[&Sha256::digest(old.as_bytes()).to_vec(), &sid],
    )
    .unwrap();
    let (access, moved) = rotate(&api, &old);
    assert_eq!(claims_of(&access)["sid"], sid.as_str(), "same session");
    assert_eq!(moved.len(), 96, "a token of the new scheme");
    // Another tab with the old token a moment later: the same new token.
    assert_eq!(rotate(&api, &old).1, moved);
    let (_, next) = rotate(&api, &moved);
    std::thread::sleep(GRACE);
    api.refresh(&old).problem(401);
    assert_eq!(session_revoked(&sid).as_deref(), Some("reuse_detected"));
    api.refresh(&next).problem(401);
}

#[test]
fn a_tab_a_step_behind_two_quick_refreshes_is_not_a_replay() {
    let api = Api::new();
    let user = sign_up(&api);
    let sid = claims_of(&user.access_token)["sid"]
        .as_str()
        .unwrap()
        .to_string();
    // One tab refreshes twice within the grace; another still holds the
    // token the first consumed: within the grace of its rotation, that is
    // the same tab-race, not a theft.
    let (_, first) = rotate(&api, &user.refresh_token);
    let (_, second) = rotate(&api, &first);
    let (_, behind) = rotate(&api, &user.refresh_token);
    assert_eq!(behind, second, "told the token the other tab holds now");
    assert_eq!(session_revoked(&sid), None);
    // After the grace, the same token is a replay.
    std::thread::sleep(GRACE);
    api.refresh(&user.refresh_token).problem(401);
    assert_eq!(session_revoked(&sid).as_deref(), Some("reuse_detected"));
}
