//! A `/me` answer read from PostgreSQL before a change committed is never
//! cached after the change: it is stored only under the fence read before
//! PostgreSQL was asked, and every change, every end of a session and every
//! Redis restart moves the fence. The first test makes the race happen
//! through the API (a proxy holds the component's write of the answer while
//! the change commits); the others play each interleaving step by step with
//! the component's own Redis scripts (src/edge/redis_scripts).

use e2e::{sign_up, OwnHost, OwnRedis};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A path to Redis that, while `hold` is on, holds every write of a cached
/// `/me` answer (a command naming an `auth:me:` key and SET) for a while.
fn holding_proxy(redis_port: u16, hold: Arc<AtomicBool>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let server = TcpStream::connect(("127.0.0.1", redis_port)).unwrap();
            let (mut from_client, mut to_server) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            let hold = hold.clone();
            std::thread::spawn(move || {
                let mut buffer = [0u8; 65536];
                while let Ok(n) = from_client.read(&mut buffer) {
                    if n == 0 {
                        break;
                    }
                    let chunk = String::from_utf8_lossy(&buffer[..n]);
                    if hold.load(Ordering::SeqCst)
                        && chunk.contains("auth:me:")
                        && chunk.contains("SET")
                    {
                        std::thread::sleep(Duration::from_millis(1500));
                    }
                    if to_server.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                }
            });
            let (mut from_server, mut to_client) = (server, client);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut from_server, &mut to_client);
            });
        }
    });
    port
}

#[test]
fn a_me_read_before_a_role_change_is_not_cached_after_it() {
    let redis = OwnRedis::start();
    let hold = Arc::new(AtomicBool::new(false));
    let proxy = holding_proxy(redis.port, hold.clone());
    let host = OwnHost::start(&e2e::redis_variables(proxy));
    let admin = sign_up(&host.api);
    e2e::set_roles(&admin.user_id, &["superadmin"]);
    let user = sign_up(&host.api);
    assert_eq!(
        host.api.me(&user.access_token).status,
        200,
        "sets the fence"
    );
    // Whatever that cached goes: the next /me reads PostgreSQL.
    let mut direct = redis::Client::open(format!("redis://127.0.0.1:{}", redis.port))
        .unwrap()
        .get_connection()
        .unwrap();
    let cached: Vec<String> = redis::cmd("KEYS")
        .arg("auth:me:*")
        .query(&mut direct)
        .unwrap();
    for key in cached {
        let _: i64 = redis::cmd("DEL").arg(key).query(&mut direct).unwrap();
    }

    // /me reads the user from PostgreSQL; its write to the cache is held.
    hold.store(true, Ordering::SeqCst);
    let reading = {
        let (base, token) = (host.base.clone(), user.access_token.clone());
        std::thread::spawn(move || e2e::Api::at(&base).me(&token).json())
    };
    std::thread::sleep(Duration::from_millis(500));
    // Meanwhile the user's roles change, and the change commits.
    let grant = serde_json::json!({"add": ["courier"]});
    let changed = host.api.bearer(
        "POST",
        &format!("/api/v1/users/{}/roles", user.user_id),
        &admin.access_token,
        Some(&grant),
    );
    assert_eq!(changed.status, 200, "{}", changed.text);
    let read_before = reading.join().unwrap();
    assert_eq!(
        read_before["roles"],
        serde_json::json!(["customer"]),
        "the race happened"
    );
    hold.store(false, Ordering::SeqCst);

    // The answer read before the change was not cached after it.
    for _ in 0..3 {
        let me = host.api.me(&user.access_token).json();
        assert_eq!(
            me["roles"],
            serde_json::json!(["courier", "customer"]),
            "{me}"
        );
    }
}

fn script(name: &str) -> String {
    let path = e2e::repo_root().join("src/edge/redis_scripts").join(name);
    std::fs::read_to_string(path).unwrap()
}

struct Keys {
    jti: String,
    ended: String,
    me: String,
    fence: String,
}

fn keys(n: u64) -> Keys {
    Keys {
        jti: format!("auth:revoked-jti:j{n}"),
        ended: format!("auth:ended-session:s{n}"),
        me: format!("auth:me:s{n}"),
        fence: format!("auth:me-fence:u{n}"),
    }
}

/// The guard's read: Err(()) when revoked, Ok(Ok(answer)) when cached,
/// Ok(Err(fence)) when not.
fn lookup(c: &mut redis::Connection, k: &Keys) -> Result<Result<String, String>, ()> {
    let found: Vec<redis::Value> = redis::cmd("EVAL")
        .arg(script("standing_with_me.lua"))
        .arg(4)
        .arg(&k.jti)
        .arg(&k.ended)
        .arg(&k.me)
        .arg(&k.fence)
        .query(c)
        .unwrap();
    let text = |v: &redis::Value| match v {
        redis::Value::BulkString(b) => String::from_utf8(b.clone()).unwrap(),
        other => panic!("{other:?}"),
    };
    match found.as_slice() {
        [redis::Value::Int(1)] => Err(()),
        [redis::Value::Int(0), answer] => Ok(Ok(text(answer))),
        [redis::Value::Int(2), fence] => Ok(Err(text(fence))),
        other => panic!("{other:?}"),
    }
}

fn remember(c: &mut redis::Connection, k: &Keys, fence: &str, answer: &str) -> bool {
    let stored: i64 = redis::cmd("EVAL")
        .arg(script("remember_me.lua"))
        .arg(3)
        .arg(&k.ended)
        .arg(&k.me)
        .arg(&k.fence)
        .arg(fence)
        .arg(answer)
        .arg(60)
        .arg(format!("f{}", e2e::unique_number()))
        .arg(86_400)
        .query(c)
        .unwrap();
    stored == 1
}

/// What a change of the user does once committed (`forget_me`).
fn change(c: &mut redis::Connection, k: &Keys) {
    let _: () = redis::cmd("SET")
        .arg(&k.fence)
        .arg(format!("f{}", e2e::unique_number()))
        .query(c)
        .unwrap();
}

fn end_session(c: &mut redis::Connection, k: &Keys) {
    let _: i64 = redis::cmd("EVAL")
        .arg(script("record_ending.lua"))
        .arg(3)
        .arg(&k.ended)
        .arg(&k.me)
        .arg(&k.fence)
        .arg(1)
        .arg(1830)
        .arg(format!("f{}", e2e::unique_number()))
        .arg(86_400)
        .query(c)
        .unwrap();
}

/// A fence read now, after the first /me set one.
fn fence_now(c: &mut redis::Connection, k: &Keys) -> String {
    let first = lookup(c, k).unwrap().unwrap_err();
    assert!(
        !remember(c, k, &first, "{}"),
        "no fence yet: it is set, nothing stored"
    );
    lookup(c, k).unwrap().unwrap_err()
}

#[test]
fn an_answer_read_before_a_change_is_not_cached_after_it() {
    let redis = OwnRedis::start();
    let mut c = redis::Client::open(format!("redis://127.0.0.1:{}", redis.port))
        .unwrap()
        .get_connection()
        .unwrap();
    let k = keys(e2e::unique_number());
    let fence = fence_now(&mut c, &k);
    // /me read the old roles from PostgreSQL; the change commits and moves
    // the fence; only then does /me try to cache what it read.
    change(&mut c, &k);
    assert!(!remember(&mut c, &k, &fence, r#"{"roles":["old"]}"#));
    assert!(lookup(&mut c, &k).unwrap().is_err(), "nothing cached");
    // Read after the change, it caches and is served.
    let fence = lookup(&mut c, &k).unwrap().unwrap_err();
    assert!(remember(&mut c, &k, &fence, r#"{"roles":["new"]}"#));
    assert_eq!(lookup(&mut c, &k).unwrap().unwrap(), r#"{"roles":["new"]}"#);
    // A later change makes the cached answer stale at once.
    change(&mut c, &k);
    assert!(lookup(&mut c, &k).unwrap().is_err());
}

#[test]
fn an_answer_read_before_the_session_ended_is_not_cached_after_it() {
    let redis = OwnRedis::start();
    let mut c = redis::Client::open(format!("redis://127.0.0.1:{}", redis.port))
        .unwrap()
        .get_connection()
        .unwrap();
    let k = keys(e2e::unique_number());
    let fence = fence_now(&mut c, &k);
    end_session(&mut c, &k);
    assert!(!remember(&mut c, &k, &fence, "{}"));
    assert_eq!(lookup(&mut c, &k), Err(()), "refused");
    // Even with the record of the end lost, the old fence stores nothing.
    let _: i64 = redis::cmd("DEL").arg(&k.ended).query(&mut c).unwrap();
    assert!(!remember(&mut c, &k, &fence, "{}"));
    assert!(lookup(&mut c, &k).unwrap().is_err());
}

#[test]
fn nothing_cached_before_a_restart_is_served_after_it() {
    let dir = std::env::temp_dir().join(format!("auth-e2e-fence-{}", e2e::unique_number()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = e2e::free_port();
    let start = || {
        let child = e2e::start_redis_saving_in(port, &dir);
        let c = redis::Client::open(format!("redis://127.0.0.1:{port}"))
            .unwrap()
            .get_connection()
            .unwrap();
        (child, c)
    };
    let (mut first, mut c) = start();
    let k = keys(e2e::unique_number());
    let fence = fence_now(&mut c, &k);
    assert!(remember(&mut c, &k, &fence, "{}"));
    assert!(lookup(&mut c, &k).unwrap().is_ok());
    let _: () = redis::cmd("SAVE").query(&mut c).unwrap();
    first.kill().unwrap();
    first.wait().unwrap();
    let (mut second, mut c) = start();
    let restored: Option<String> = redis::cmd("GET").arg(&k.me).query(&mut c).unwrap();
    assert!(restored.is_some(), "the snapshot brought the answer back");
    assert!(lookup(&mut c, &k).unwrap().is_err(), "but it is not served");
    assert!(
        !remember(&mut c, &k, &fence, "{}"),
        "nor stored under the old fence"
    );
    second.kill().unwrap();
    second.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
