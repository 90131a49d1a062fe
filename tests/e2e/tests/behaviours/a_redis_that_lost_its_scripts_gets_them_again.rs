//! The Lua scripts go to Redis by their SHA-1 (`EVALSHA`); a Redis that does
//! not have them (restarted, or `SCRIPT FLUSH`) gets the script itself once
//! (`EVAL`), and no request fails for it: not the lockout's count of a
//! login, not the guard's check, not a logout's record.

use e2e::{sign_up, Api};

fn flush_scripts() {
    let url = std::env::var("AUTH_REDIS_URL").expect("AUTH_REDIS_URL");
    let mut redis = redis::Client::open(url).unwrap().get_connection().unwrap();
    let _: () = redis::cmd("SCRIPT").arg("FLUSH").query(&mut redis).unwrap();
}

#[test]
fn every_route_that_runs_a_script_works_after_a_script_flush() {
    let api = Api::new();
    let user = sign_up(&api);

    flush_scripts();
    let login = api.login(&user.person.second_login, &user.person.password);
    assert_eq!(login.status, 200, "{}", login.text);
    let token = login.json()["access_token"].as_str().unwrap().to_string();

    flush_scripts();
    assert_eq!(api.me(&token).status, 200);
    assert_eq!(api.me(&token).status, 200);

    flush_scripts();
    let logout = api.bearer("POST", "/api/v1/auth/logout", &token, None);
    assert_eq!(logout.status, 204, "{}", logout.text);
    assert_eq!(api.me(&token).status, 401, "the logout was recorded");
}
