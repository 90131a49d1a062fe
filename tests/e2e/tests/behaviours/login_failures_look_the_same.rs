//! Nobody can tell from the answer whether a login exists: an unknown login,
//! a login of impossible shape and a wrong password get the same 401 body.

use e2e::{Api, Person};

#[test]
fn unknown_login_and_wrong_password_answer_identically() {
    let api = Api::new();
    let person = Person::new();
    assert_eq!(api.register(&person.registration()).status, 201);

    let wrong_password = api.login(&person.second_login, "not the password");
    let unknown_login = api.login(
        &format!("nobody.{}", e2e::unique_number()),
        "not the password",
    );
    let unknown_email = api.login("nobody@example.com", &person.password);
    let impossible = api.login("1 2 3 not a login", &person.password);

    let expected = wrong_password.problem(401);
    assert_eq!(expected["title"], "Invalid credentials");
    for reply in [&unknown_login, &unknown_email, &impossible] {
        assert_eq!(reply.problem(401), expected);
        assert_eq!(
            reply.text, wrong_password.text,
            "byte-for-byte the same body"
        );
    }
}

#[test]
fn the_right_password_with_the_wrong_account_fails() {
    let api = Api::new();
    let (a, b) = (Person::new(), Person::new());
    assert_eq!(api.register(&a.registration()).status, 201);
    let mut other = b.registration();
    other["password"] = "another good password".into();
    assert_eq!(api.register(&other).status, 201);
    api.login(&b.second_login, &a.password).problem(401);
}
