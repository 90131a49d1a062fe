//! Browsers get their tokens in HttpOnly cookies (`X-Auth-Mode: cookie`),
//! state-changing calls authenticated by cookie need the CSRF header, and
//! CORS is granted only to `cors_allowed_origins` (the shared test host
//! allows https://app.example.test).

use e2e::{Api, Person};

const ALLOWED: &str = "https://app.example.test";

/// `name=value` of each Set-Cookie, and the whole attribute strings.
fn cookies(reply: &e2e::Reply) -> Vec<(String, String, String)> {
    reply
        .all_headers("set-cookie")
        .iter()
        .map(|c| {
            let (pair, _) = c.split_once(';').unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            (name.to_string(), value.to_string(), c.to_string())
        })
        .collect()
}

/// Registers someone in cookie mode: the reply, and the cookie jar a browser
/// would send to the refresh path, with its CSRF token.
fn register_in_cookie_mode(api: &Api, person: &Person) -> (e2e::Reply, String, String) {
    let reply = api.send(
        "POST",
        "/api/v1/auth/register",
        &[("x-auth-mode", "cookie")],
        Some(&person.registration()),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let set = cookies(&reply);
    let value = |name: &str| set.iter().find(|(n, _, _)| n == name).unwrap().1.clone();
    let jar = format!(
        "refresh_token={}; csrf_token={}",
        value("refresh_token"),
        value("csrf_token")
    );
    (reply, jar, value("csrf_token"))
}

#[test]
fn cookie_login_sets_locked_down_cookies_and_needs_csrf_for_changes() {
    let api = Api::new();
    let person = Person::new();
    assert_eq!(api.register(&person.registration()).status, 201);
    let login = serde_json::json!({"login": person.second_login, "password": person.password});
    let reply = api.send(
        "POST",
        "/api/v1/auth/login",
        &[("x-auth-mode", "cookie")],
        Some(&login),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        reply.json().get("access_token").is_none(),
        "no token in a cookie-mode body"
    );

    let set = cookies(&reply);
    let find = |name: &str| {
        set.iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("{name} cookie"))
            .clone()
    };
    let (_, access, access_attrs) = find("access_token");
    let (_, _, refresh_attrs) = find("refresh_token");
    let (_, csrf, csrf_attrs) = find("csrf_token");
    for attrs in [&access_attrs, &refresh_attrs] {
        for flag in ["HttpOnly", "Secure", "SameSite=Strict"] {
            assert!(attrs.contains(flag), "{attrs} lacks {flag}");
        }
    }
    assert!(
        refresh_attrs.contains("Path=/api/v1/auth/refresh"),
        "{refresh_attrs}"
    );
    assert!(
        !csrf_attrs.contains("HttpOnly") && csrf_attrs.contains("Secure"),
        "{csrf_attrs}"
    );

    let cookie_header = format!("access_token={access}; csrf_token={csrf}");
    // A browser call carrying the cookies, and optionally an X-CSRF-Token.
    let by_cookie = |method: &str, path: &str, csrf_header: Option<&str>| {
        let mut headers = vec![("cookie", cookie_header.as_str())];
        if let Some(token) = csrf_header {
            headers.push(("x-csrf-token", token));
        }
        api.send(method, path, &headers, None)
    };
    // Reading needs no CSRF header.
    assert_eq!(by_cookie("GET", "/api/v1/auth/me", None).status, 200);
    // A state change without it is refused, and changes nothing.
    by_cookie("POST", "/api/v1/auth/logout", None).problem(403);
    by_cookie("POST", "/api/v1/auth/logout", Some("forged")).problem(403);
    assert_eq!(by_cookie("GET", "/api/v1/auth/me", None).status, 200);
    // With it, logout works and clears the cookies.
    let out = by_cookie("POST", "/api/v1/auth/logout", Some(&csrf));
    assert_eq!(out.status, 204, "{}", out.text);
    assert!(cookies(&out)
        .iter()
        .all(|(_, v, attrs)| v.is_empty() && attrs.contains("Max-Age=0")));
    by_cookie("GET", "/api/v1/auth/me", None).problem(401);
}

#[test]
fn refresh_by_cookie_needs_csrf_and_rotates_the_cookies() {
    let api = Api::new();
    let person = Person::new();
    let (reply, jar, csrf) = register_in_cookie_mode(&api, &person);
    assert_eq!(
        reply.json()["user"]["second_login"],
        person.second_login.as_str()
    );
    let old_refresh = jar
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("refresh_token=")
        .to_string();

    api.send(
        "POST",
        "/api/v1/auth/refresh",
        &[("cookie", &jar), ("x-auth-mode", "cookie")],
        None,
    )
    .problem(403);
    let rotated = api.send(
        "POST",
        "/api/v1/auth/refresh",
        &[
            ("cookie", &jar),
            ("x-auth-mode", "cookie"),
            ("x-csrf-token", &csrf),
        ],
        None,
    );
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let new = cookies(&rotated);
    assert!(new
        .iter()
        .any(|(n, v, _)| n == "refresh_token" && *v != old_refresh));
}

#[test]
fn a_refresh_by_cookie_may_send_an_empty_object() {
    // What a JSON client sends when the cookie carries the token: `{}`.
    let api = Api::new();
    let (_, jar, csrf) = register_in_cookie_mode(&api, &Person::new());
    let rotated = api.send(
        "POST",
        "/api/v1/auth/refresh",
        &[
            ("cookie", &jar),
            ("x-auth-mode", "cookie"),
            ("x-csrf-token", &csrf),
        ],
        Some(&serde_json::json!({})),
    );
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    assert!(cookies(&rotated)
        .iter()
        .any(|(n, v, _)| n == "refresh_token" && !v.is_empty()));
    // Without a cookie, an object without the token is still a 422.
    api.post_json("/api/v1/auth/refresh", &serde_json::json!({}))
        .problem(422);
}

#[test]
fn a_refresh_by_cookie_is_answered_by_cookie_even_without_the_mode_header() {
    // Page script could read a refresh token from a JSON body; the one it
    // cannot read (HttpOnly) must never come back in one.
    let api = Api::new();
    let (_, jar, csrf) = register_in_cookie_mode(&api, &Person::new());
    let rotated = api.send(
        "POST",
        "/api/v1/auth/refresh",
        &[("cookie", &jar), ("x-csrf-token", &csrf)],
        None,
    );
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let body = rotated.json();
    assert!(
        body.get("refresh_token").is_none() && body.get("access_token").is_none(),
        "tokens in the body: {body}"
    );
    assert!(cookies(&rotated)
        .iter()
        .any(|(n, v, attrs)| n == "refresh_token" && !v.is_empty() && attrs.contains("HttpOnly")));
}

#[test]
fn cors_is_granted_to_listed_origins_only() {
    let api = Api::new();
    let preflight = |origin: &str| {
        api.send(
            "OPTIONS",
            "/api/v1/auth/login",
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "content-type"),
            ],
            None,
        )
    };
    let granted = preflight(ALLOWED);
    assert_eq!(granted.status, 204);
    assert_eq!(granted.header("access-control-allow-origin"), Some(ALLOWED));
    assert_eq!(
        granted.header("access-control-allow-credentials"),
        Some("true")
    );
    assert!(granted
        .header("access-control-allow-methods")
        .unwrap()
        .contains("POST"));

    let refused = preflight("https://evil.example");
    assert!(refused.header("access-control-allow-origin").is_none());
    assert!(refused.header("access-control-allow-methods").is_none());

    // Simple requests: the same rule.
    let health = api.send(
        "GET",
        "/api/v1/auth/roles-do-not-exist",
        &[("origin", "https://evil.example")],
        None,
    );
    assert!(health.header("access-control-allow-origin").is_none());
    let ok = api.send(
        "POST",
        "/api/v1/auth/login",
        &[("origin", ALLOWED)],
        Some(&serde_json::json!({})),
    );
    assert_eq!(ok.header("access-control-allow-origin"), Some(ALLOWED));
}

/// Over HTTPS (here: as a TLS-terminating proxy says, `X-Forwarded-Proto`)
/// the cookies carry the `__Host-` prefix (`__Secure-` for the refresh
/// cookie, which keeps its narrow path), which a browser accepts only from
/// a secure origin and never from a sibling subdomain; there only the
/// prefixed names are read. Before: plain names, read whatever their origin.
#[test]
fn over_https_the_cookies_are_host_prefixed_and_only_those_are_read() {
    let api = Api::new();
    let person = Person::new();
    assert_eq!(api.register(&person.registration()).status, 201);
    let login = serde_json::json!({"login": person.second_login, "password": person.password});
    let https = ("x-forwarded-proto", "https");
    let reply = api.send(
        "POST",
        "/api/v1/auth/login",
        &[("x-auth-mode", "cookie"), https],
        Some(&login),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let set = cookies(&reply);
    let names: Vec<&str> = set.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "__Host-access_token",
            "__Secure-refresh_token",
            "__Host-csrf_token"
        ]
    );
    for (name, _, whole) in &set {
        assert!(whole.contains("; Secure"), "{whole}");
        assert!(!whole.contains("Domain"), "{whole}");
        if name.starts_with("__Host-") {
            assert!(whole.contains("Path=/;"), "{whole}");
        }
    }
    let access = &set[0].1;
    let me = api.send(
        "GET",
        "/api/v1/auth/me",
        &[("cookie", &format!("__Host-access_token={access}")), https],
        None,
    );
    assert_eq!(me.status, 200, "{}", me.text);
    // A plain-named cookie over HTTPS may come from a sibling subdomain.
    api.send(
        "GET",
        "/api/v1/auth/me",
        &[("cookie", &format!("access_token={access}")), https],
        None,
    )
    .problem(401);
    // Plain HTTP (development) keeps the plain names.
    let plain = api.send(
        "POST",
        "/api/v1/auth/login",
        &[("x-auth-mode", "cookie")],
        Some(&login),
    );
    assert_eq!(cookies(&plain)[0].0, "access_token");
}
