//! Operators configure the service with Spin variables: the manifest's
//! defaults, overridden by `SPIN_VARIABLE_<NAME>` in the environment, and
//! those by `spin up --variable name=value`. A bad value is a clear error
//! naming the variable, not a crash.

use e2e::{sign_up, OwnHost};
use serde_json::json;

fn login_expires_in(host: &OwnHost) -> serde_json::Value {
    let user = sign_up(&host.api);
    let reply = host
        .api
        .login(&user.person.second_login, &user.person.password);
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["expires_in"].clone()
}

#[test]
fn an_environment_variable_overrides_the_default() {
    let host = OwnHost::start(&[("SPIN_VARIABLE_ACCESS_TTL_SECONDS", "600".into())]);
    assert_eq!(login_expires_in(&host), json!(600));
}

#[test]
fn a_command_line_variable_wins_over_the_environment() {
    let host = OwnHost::start_with(
        &[("SPIN_VARIABLE_ACCESS_TTL_SECONDS", "600".into())],
        &[("access_ttl_seconds", "700")],
    );
    assert_eq!(login_expires_in(&host), json!(700));
}

#[test]
fn a_bad_value_is_a_clear_error_naming_the_variable() {
    let host = OwnHost::start_with(&[], &[("bcrypt_cost", "twelve")]);
    let user = e2e::Person::new();
    let reply = host.api.register(&user.registration());
    let problem = reply.problem(500);
    assert!(
        problem["detail"].as_str().unwrap().contains("bcrypt_cost"),
        "{problem}"
    );
    // Liveness does not read configuration.
    assert_eq!(host.api.get("/api/v1/auth/health").status, 200);
}
