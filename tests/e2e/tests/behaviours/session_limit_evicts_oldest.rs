//! A user has at most `max_active_sessions` (10) sessions: the eleventh
//! sign-in evicts the oldest, whose tokens then fail.

use e2e::{sign_up, Api};

#[test]
fn the_eleventh_sign_in_evicts_the_oldest_session() {
    let api = Api::new();
    let user = sign_up(&api); // session 1
    for _ in 0..9 {
        assert_eq!(
            api.login(&user.person.second_login, &user.person.password)
                .status,
            200
        );
    }
    assert_eq!(
        api.me(&user.access_token).status,
        200,
        "ten sessions: the first still lives"
    );
    assert_eq!(
        api.bearer("GET", "/api/v1/auth/sessions", &user.access_token, None)
            .json()["sessions"]
            .as_array()
            .unwrap()
            .len(),
        10
    );

    let eleventh = api
        .login(&user.person.second_login, &user.person.password)
        .json();
    api.refresh(&user.refresh_token).problem(401);
    api.me(&user.access_token).problem(401);
    let listed = api
        .bearer(
            "GET",
            "/api/v1/auth/sessions",
            eleventh["access_token"].as_str().unwrap(),
            None,
        )
        .json();
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 10);
}
