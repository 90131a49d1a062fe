//! Every kind of bad input gets a clear RFC 9457 problem with the right
//! status, and none of them stores anything.

use e2e::{admin_db, traces_of, Api, Person, Reply};
use serde_json::{json, Value};

/// Sends a registration changed by `edit` and checks that nothing was stored.
fn register_with(edit: impl FnOnce(&mut Value)) -> Reply {
    let person = Person::new();
    let mut body = person.registration();
    edit(&mut body);
    let reply = Api::new().register(&body);
    assert_eq!(
        traces_of(&mut admin_db(), &person.second_login, &person.phone),
        0,
        "stored: {}",
        reply.text
    );
    reply
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn missing_fields_are_listed() {
    let problem = Api::new().register(&json!({})).problem(422);
    assert_eq!(
        fields(&problem),
        [
            "second_login",
            "phone",
            "password",
            "interface",
            "group_names"
        ]
    );
    for error in problem["errors"].as_array().unwrap() {
        assert_eq!(error["message"], "is required");
    }
}

#[test]
fn malformed_json_is_400() {
    let reply = Api::new().post_raw(
        "/api/v1/auth/register",
        Some("application/json"),
        b"{\"second_login\": ".to_vec(),
    );
    assert_eq!(reply.problem(400)["title"], "Malformed JSON");
}

#[test]
fn wrong_types_are_422_per_field() {
    let problem = register_with(|b| {
        b["second_login"] = json!(42);
        b["group_names"] = json!("customer");
        b["profile"] = json!("not an object");
    })
    .problem(422);
    assert_eq!(fields(&problem), ["second_login", "group_names", "profile"]);
    assert_eq!(problem["errors"][0]["message"], "must be a string");
}

#[test]
fn body_that_is_not_an_object_is_422() {
    Api::new().register(&json!(["a", "list"])).problem(422);
}

#[test]
fn password_over_72_bytes_is_refused_not_truncated() {
    // 40 Cyrillic letters: 40 characters but 80 bytes.
    let problem = register_with(|b| b["password"] = "я".repeat(40).into()).problem(422);
    assert_eq!(fields(&problem), ["password"]);
    assert!(problem["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("72 bytes"));
}

#[test]
fn too_short_password_is_422() {
    assert_eq!(
        fields(&register_with(|b| b["password"] = "short".into()).problem(422)),
        ["password"]
    );
}

#[test]
fn password_equal_to_the_login_is_422() {
    let problem = register_with(|b| {
        b["password"] = b["second_login"].as_str().unwrap().to_uppercase().into()
    })
    .problem(422);
    assert_eq!(fields(&problem), ["password"]);
}

#[test]
fn bad_phone_is_422() {
    for phone in ["12345", "+7 000 000", "call me"] {
        let problem = register_with(|b| b["phone"] = phone.into()).problem(422);
        assert_eq!(fields(&problem), ["phone"], "{phone}");
    }
}

#[test]
fn bad_email_is_422() {
    for email in ["not-an-email", "a@", "Name <a@example.com>"] {
        let problem = register_with(|b| b["email"] = email.into()).problem(422);
        assert_eq!(fields(&problem), ["email"], "{email}");
    }
}

#[test]
fn bad_second_login_is_422() {
    for login in ["ab", "1abc", "has space", "кириллица"] {
        let problem = register_with(|b| b["second_login"] = login.into()).problem(422);
        assert_eq!(fields(&problem), ["second_login"], "{login}");
    }
}

#[test]
fn unknown_interface_is_422() {
    let problem = register_with(|b| b["interface"] = "pirate_app".into()).problem(422);
    assert_eq!(fields(&problem), ["interface"]);
}

#[test]
fn role_not_allowed_for_the_interface_is_403() {
    let problem =
        register_with(|b| b["group_names"] = json!(["customer", "superadmin"])).problem(403);
    assert!(problem["detail"].as_str().unwrap().contains("superadmin"));
    // A driver cannot self-register through the customer app either.
    register_with(|b| b["group_names"] = json!(["driver"])).problem(403);
    // Nobody self-registers through the consoles.
    register_with(|b| {
        b["interface"] = "staff_console".into();
        b["group_names"] = json!(["support"]);
    })
    .problem(403);
}

#[test]
fn unknown_role_is_403() {
    register_with(|b| b["group_names"] = json!(["emperor"])).problem(403);
}

#[test]
fn empty_role_list_is_422() {
    assert_eq!(
        fields(&register_with(|b| b["group_names"] = json!([])).problem(422)),
        ["group_names"]
    );
}

#[test]
fn oversized_body_is_413() {
    let big = json!({"second_login": "x", "profile": {"bio": "x".repeat(20_000)}});
    let reply = Api::new().register(&big);
    assert!(reply.problem(413)["detail"]
        .as_str()
        .unwrap()
        .contains("16384"));
}

#[test]
fn oversized_profile_is_422() {
    let problem = register_with(|b| b["profile"] = json!({"bio": "x".repeat(9000)})).problem(422);
    assert_eq!(fields(&problem), ["profile"]);
}

#[test]
fn wrong_content_type_is_415() {
    let person = Person::new();
    let api = Api::new();
    let body = person.registration().to_string().into_bytes();
    api.post_raw("/api/v1/auth/register", Some("text/plain"), body.clone())
        .problem(415);
    api.post_raw("/api/v1/auth/register", None, body)
        .problem(415);
    assert_eq!(
        traces_of(&mut admin_db(), &person.second_login, &person.phone),
        0
    );
}

#[test]
fn login_with_missing_fields_is_422() {
    let problem = Api::new()
        .post_json("/api/v1/auth/login", &json!({"login": "someone"}))
        .problem(422);
    assert_eq!(fields(&problem), ["password"]);
}

#[test]
fn unknown_route_is_404_and_wrong_method_is_405_with_allow() {
    let api = Api::new();
    api.get("/api/v1/auth/nothing-here").problem(404);
    let reply = api.get("/api/v1/auth/register");
    reply.problem(405);
    assert_eq!(reply.header("allow"), Some("POST"));
    let reply = api.delete("/api/v1/auth/health");
    reply.problem(405);
    assert_eq!(reply.header("allow"), Some("GET, HEAD"));
}

#[test]
fn a_body_declared_too_large_is_413_at_once() {
    use std::io::{Read, Write};
    // 50 MB announced, one byte sent: the answer must not wait for the rest.
    let base = e2e::env("AUTH_BASE_URL");
    let address = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: 50000000\r\n\r\n{{"
    )
    .unwrap();
    stream.flush().unwrap();
    let mut head = [0u8; 64];
    let read = stream
        .read(&mut head)
        .expect("an answer within 10 s, not a wait for 50 MB");
    let head = String::from_utf8_lossy(&head[..read]);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
}
