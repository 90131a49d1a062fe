//! With PostgreSQL unreachable, nothing that needs it succeeds: protected
//! endpoints and sign-in answer 503 naming the database, with no internals;
//! when it comes back the service recovers by itself, without a restart.

use e2e::{env, eventually, free_port, sign_up, Api, OwnHost, Person, Switch};

#[test]
fn an_unreachable_database_is_503_not_a_pass() {
    // A token from the healthy service, valid for the broken one (same key).
    let user = sign_up(&Api::new());
    let dead = free_port(); // nothing listens here
    let host = OwnHost::start(&[
        (
            "SPIN_VARIABLE_DB_URL",
            format!("postgres://auth_service:x@127.0.0.1:{dead}/auth?sslmode=disable"),
        ),
        ("SPIN_VARIABLE_DB_HOST", format!("127.0.0.1:{dead}")),
    ]);
    let problem = host.api.me(&user.access_token).problem(503);
    assert!(
        problem["detail"].as_str().unwrap().contains("database"),
        "{problem}"
    );
    host.api
        .login(&user.person.second_login, &user.person.password)
        .problem(503);
    host.api.refresh(&user.refresh_token).problem(503);
    let reply = host.api.register(&e2e::Person::new().registration());
    reply.problem(503);
    assert!(
        !reply.text.contains("127.0.0.1") && !reply.text.contains("auth_service"),
        "{}",
        reply.text
    );
    // Liveness does not depend on the database.
    assert_eq!(host.api.get("/api/v1/auth/health").status, 200);
}

#[test]
fn a_database_that_stops_and_comes_back_is_used_again() {
    // The service reaches PostgreSQL through a switch this test can cut, as
    // if the server stopped: pooled connections die and new ones are refused.
    let service_url = env("AUTH_DB_SERVICE_URL");
    let pg_port: u16 = url_port(&service_url);
    let switch = Switch::to(pg_port);
    let through_switch = service_url.replace(
        &format!("127.0.0.1:{pg_port}"),
        &format!("127.0.0.1:{}", switch.port),
    );
    let host = OwnHost::start(&[
        ("SPIN_VARIABLE_DB_URL", through_switch),
        (
            "SPIN_VARIABLE_DB_HOST",
            format!("127.0.0.1:{}", switch.port),
        ),
    ]);
    let user = sign_up(&host.api);
    // The first /me sets the user's fence, the second caches the answer.
    assert_eq!(host.api.me(&user.access_token).status, 200);
    assert_eq!(host.api.me(&user.access_token).status, 200);

    switch.cut();
    let problem = host
        .api
        .bearer("GET", "/api/v1/auth/sessions", &user.access_token, None)
        .problem(503);
    assert!(
        problem["detail"].as_str().unwrap().contains("database"),
        "{problem}"
    );
    // /me was cached in Redis by the calls above, and the guard needs no
    // database: it goes on answering.
    assert_eq!(host.api.me(&user.access_token).status, 200);
    host.api
        .login(&user.person.second_login, &user.person.password)
        .problem(503);
    host.api
        .register(&Person::new().registration())
        .problem(503);

    switch.restore();
    let sessions = eventually(
        10,
        || {
            host.api
                .bearer("GET", "/api/v1/auth/sessions", &user.access_token, None)
        },
        |r| r.status == 200,
    );
    assert_eq!(sessions.status, 200, "recovered: {}", sessions.text);
    let login = host
        .api
        .login(&user.person.second_login, &user.person.password);
    assert_eq!(login.status, 200, "{}", login.text);
}

fn url_port(url: &str) -> u16 {
    let after_at = url.split('@').nth(1).unwrap();
    let host_port = after_at.split('/').next().unwrap();
    host_port.rsplit(':').next().unwrap().parse().unwrap()
}
