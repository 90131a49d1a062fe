//! With PostgreSQL unreachable, nothing that needs it succeeds: protected
//! endpoints and sign-in answer 503 naming the database, with no internals.

use e2e::{free_port, sign_up, Api, OwnHost};

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
