//! The small print of HTTP that clients and proxies rely on: every 401 says
//! how to authenticate (RFC 9110 §15.5.2, RFC 6750 §3), HEAD works wherever
//! GET does (RFC 9110 §9.1), OPTIONS lists the methods, token responses are
//! never cached (RFC 6749 §5.1), nothing is MIME-sniffed, and a bad
//! configuration does not hide a 404 or a 405.

use e2e::{sign_up, Api, OwnHost, Person};

#[test]
fn every_401_says_how_to_authenticate() {
    let api = Api::new();
    let user = sign_up(&api);
    let anonymous = api.get("/api/v1/auth/me");
    anonymous.problem(401);
    let challenge = anonymous.header("www-authenticate").expect("a challenge");
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    assert!(
        !challenge.contains("error="),
        "no token, no error: {challenge}"
    );

    let forged = api.me(&format!("{}x", user.access_token));
    forged.problem(401);
    assert!(forged
        .header("www-authenticate")
        .is_some_and(|c| c.starts_with("Bearer") && c.contains(r#"error="invalid_token""#)));

    let wrong = api.login(&user.person.second_login, "not the password");
    wrong.problem(401);
    assert!(wrong
        .header("www-authenticate")
        .is_some_and(|c| c.starts_with("Bearer")));
    let refresh = api.refresh(&"A".repeat(43));
    refresh.problem(401);
    assert!(refresh.header("www-authenticate").is_some());
}

#[test]
fn head_works_wherever_get_does() {
    let api = Api::new();
    let user = sign_up(&api);
    let auth = format!("Bearer {}", user.access_token);
    for path in [
        "/api/v1/auth/health",
        "/api/v1/auth/me",
        "/api/v1/auth/sessions",
        "/api/v1/auth/.well-known/jwks.json",
    ] {
        let head = api.send("HEAD", path, &[("authorization", &auth)], None);
        assert_eq!(head.status, 200, "HEAD {path}");
        assert!(head.text.is_empty(), "HEAD {path} has a body");
        let get = api.send("GET", path, &[("authorization", &auth)], None);
        assert_eq!(
            head.header("content-type"),
            get.header("content-type"),
            "{path}"
        );
    }
}

#[test]
fn options_lists_the_methods_of_a_path() {
    let api = Api::new();
    let reply = api.send("OPTIONS", "/api/v1/auth/login", &[], None);
    assert_eq!(reply.status, 204);
    assert_eq!(reply.header("allow"), Some("POST, OPTIONS"));
    let reply = api.send("OPTIONS", "/api/v1/auth/me", &[], None);
    assert_eq!(reply.header("allow"), Some("GET, HEAD, OPTIONS"));
}

#[test]
fn token_responses_are_never_cached() {
    let api = Api::new();
    let person = Person::new();
    let registered = api.register(&person.registration());
    let login = api.login(&person.second_login, &person.password);
    let refreshed = api.refresh(login.json()["refresh_token"].as_str().unwrap());
    for reply in [&registered, &login, &refreshed] {
        assert!(reply.status < 300, "{}", reply.text);
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        assert_eq!(reply.header("pragma"), Some("no-cache"));
    }
}

#[test]
fn no_answer_may_be_sniffed() {
    let api = Api::new();
    let user = sign_up(&api);
    for reply in [
        api.get("/api/v1/auth/health"),
        api.get("/api/v1/nothing/here"),
        api.get("/api/v1/auth/login"),
        api.get("/api/v1/auth/me"),
        api.me(&user.access_token),
        api.post_raw("/api/v1/auth/login", Some("text/plain"), b"x".to_vec()),
    ] {
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{} {}",
            reply.status,
            reply.text
        );
    }
}

#[test]
fn a_bad_setting_fails_only_the_routes_that_read_it() {
    let host = OwnHost::start_with(&[], &[("bcrypt_cost", "twelve")]);
    host.api.get("/api/v1/nothing/here").problem(404);
    let wrong_method = host.api.get("/api/v1/auth/login");
    wrong_method.problem(405);
    assert_eq!(wrong_method.header("allow"), Some("POST"));
    assert_eq!(host.api.get("/api/v1/auth/health").status, 200);
    // Settings are read when needed: what needs no bcrypt works on...
    host.api.get("/api/v1/auth/me").problem(401);
    // ...and what needs it names the bad variable.
    let login = serde_json::json!({"login": "somebody", "password": "some password 1"});
    let problem = host
        .api
        .post_json("/api/v1/auth/login", &login)
        .problem(500);
    assert!(problem["detail"].as_str().unwrap().contains("bcrypt_cost"));
    let ready = host.api.get("/api/v1/auth/ready");
    assert_eq!(ready.status, 503);
    assert!(ready.text.contains("bcrypt_cost"), "{}", ready.text);
}

/// Sends `request` as it is on a new connection and returns all the bytes
/// of the answer (none when the server closed without answering).
fn raw_exchange(request: &str) -> String {
    use std::io::{Read, Write};
    let base = e2e::env("AUTH_BASE_URL");
    let address = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(request.replace("{address}", address).as_bytes())
        .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn an_http_1_1_request_without_host_is_never_served() {
    // RFC 9112 §3.2: 400. Spin closes such a connection before the
    // component sees the request (its `set_req_uri`), as the test host
    // does; a host that passed it on would get the component's 400.
    for request in [
        "GET /api/v1/auth/health HTTP/1.1\r\nConnection: close\r\n\r\n",
        "POST /api/v1/auth/login HTTP/1.1\r\nContent-Type: application/json\r\n\
         Content-Length: 2\r\nConnection: close\r\n\r\n{}",
        "GET /api/v1/auth/health HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n",
    ] {
        let answer = raw_exchange(request);
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 400"),
            "{request:?} was answered: {answer}"
        );
    }
    // The same request with its Host is served.
    let answer = raw_exchange(
        "GET /api/v1/auth/health HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn http2_names_its_host_by_authority_and_is_served() {
    // HTTP/2 has no Host header: `:authority` stands for it (RFC 9113
    // §8.3.1). Refusing requests without `Host` must not refuse these.
    // Only Spin speaks HTTP/2 (prior knowledge); the test host is HTTP/1.1.
    if !matches!(e2e::HostKind::of_this_run(), e2e::HostKind::Spin(_)) {
        return;
    }
    let base = e2e::env("AUTH_BASE_URL");
    let out = std::process::Command::new("curl")
        .args(["-sS", "--http2-prior-knowledge", "-o", "/dev/null"])
        .args(["-w", "%{http_code} %{http_version}"])
        .arg(format!("{base}/api/v1/auth/health"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200 2");
}
