//! Every field of every endpoint, sent a battery of hostile values — NUL,
//! lone surrogates, 10 000 characters, control characters, numbers beyond
//! i64 and f64, deep nesting, SQL and JSON fragments — never gets a 5xx, and
//! a refused registration stores nothing. Values the database cannot hold
//! are refused at the edge with a clear 4xx.

use e2e::{admin_db, sign_up, traces_of, Api, Person, Reply};
use serde_json::{json, Value};

/// Hostile values as raw JSON text (some are not even valid JSON).
fn hostile() -> Vec<String> {
    let mut values: Vec<String> = [
        r#""\u0000""#,
        r#""a\u0000b""#,
        r#""\ud800""#,
        r#""x\udfffy""#,
        r#""\u0001\u001f\u007f\t\r\n""#,
        r#""\u202e\ufeff\u200b""#,
        r#""𝕚𝕧𝕒𝕟 ｉｖａｎ""#,
        "99999999999999999999999999999",
        "-99999999999999999999999999999",
        "1e400",
        "-1e308",
        "1e300",
        "0.0000000000000000000000000000001",
        "-0",
        r#""'; DROP TABLE accounts.users; --""#,
        r#""' OR '1'='1""#,
        r#""$1::text, pg_sleep(5)""#,
        r#""%s%n%x""#,
        r#""{\"a\":""#,
        r#""\"},{\"outcome\":\"registered\""#,
        r#"{"$gt": ""}"#,
        "{}",
        "[]",
        "[null]",
        "null",
        "true",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    values.push(format!("\"{}\"", "x".repeat(10_000)));
    values.push(format!("\"{}\"", "я".repeat(3_000)));
    values.push(format!("{}1{}", "[".repeat(300), "]".repeat(300)));
    values.push(format!("{}1{}", "{\"a\":".repeat(100), "}".repeat(100)));
    values
}

/// `template` as JSON text with the string "HOSTILE" replaced by `raw`.
fn with(template: &Value, raw: &str) -> Vec<u8> {
    template
        .to_string()
        .replace(r#""HOSTILE""#, raw)
        .into_bytes()
}

fn assert_no_5xx(what: &str, raw: &str, reply: &Reply) {
    assert!(
        reply.status < 500,
        "{what} = {}: {} {}",
        raw.chars().take(60).collect::<String>(),
        reply.status,
        reply.text
    );
}

#[test]
fn registration_fields() {
    let api = Api::new();
    let mut db = admin_db();
    let fields = [
        "second_login",
        "phone",
        "email",
        "password",
        "interface",
        "group_names",
        "profile",
    ];
    for raw in hostile() {
        let mut templates: Vec<(String, Value)> = Vec::new();
        let person = Person::new();
        for field in fields {
            let mut body = person.registration();
            body[field] = "HOSTILE".into();
            templates.push((field.to_string(), body));
        }
        let mut body = person.registration();
        body["group_names"] = json!(["HOSTILE"]);
        templates.push(("group_names[0]".into(), body));
        let mut body = person.registration();
        body["profile"] = json!({"name": "HOSTILE"});
        templates.push(("profile.name".into(), body));
        let mut body = person.registration();
        body["profile"] = json!({"nested": [{"deeper": "HOSTILE"}]});
        templates.push(("profile.nested".into(), body));
        if raw.starts_with('"') {
            let key = format!(r#"{{{raw}: 1}}"#);
            let text = person.registration().to_string().replace(
                r#""profile":{"name":"Test Person"}"#,
                &format!(r#""profile":{key}"#),
            );
            let reply = api.post_raw(
                "/api/v1/auth/register",
                Some("application/json"),
                text.into_bytes(),
            );
            assert_no_5xx("profile key", &raw, &reply);
        }
        for (field, template) in &templates {
            // A fresh person for each, so an accepted value does not make
            // the next one a conflict.
            let fresh = Person::new();
            let text = String::from_utf8(with(template, &raw))
                .unwrap()
                .replace(&person.second_login, &fresh.second_login)
                .replace(&person.phone_typed, &fresh.phone_typed)
                .replace(&person.email, &fresh.email);
            let reply = api.post_raw(
                "/api/v1/auth/register",
                Some("application/json"),
                text.into_bytes(),
            );
            assert_no_5xx(field, &raw, &reply);
            if reply.status != 201 {
                assert_eq!(
                    traces_of(&mut db, &fresh.second_login, &fresh.phone),
                    0,
                    "{field}: a refused registration left rows behind"
                );
            }
        }
    }
}

#[test]
fn login_refresh_and_the_signed_in_endpoints() {
    let api = Api::new();
    let mut user = sign_up(&api);
    let auth = format!("Bearer {}", user.access_token);
    for raw in hostile() {
        for field in ["login", "password"] {
            let mut body = json!({"login": user.person.second_login, "password": "wrong password"});
            body[field] = "HOSTILE".into();
            let reply = api.send_raw("POST", "/api/v1/auth/login", &[], Some(&with(&body, &raw)));
            assert_no_5xx(field, &raw, &reply);
            assert_ne!(reply.status, 200, "{field}: signed in with {raw:.40}");
        }
        let reply = api.send_raw(
            "POST",
            "/api/v1/auth/refresh",
            &[],
            Some(&with(&json!({"refresh_token": "HOSTILE"}), &raw)),
        );
        assert_no_5xx("refresh_token", &raw, &reply);
        for field in ["current_password", "new_password"] {
            let mut body = json!({"current_password": user.person.password, "new_password": "another fine secret"});
            body[field] = "HOSTILE".into();
            let reply = api.send_raw(
                "POST",
                "/api/v1/auth/password",
                &[("authorization", auth.as_bytes())],
                Some(&with(&body, &raw)),
            );
            assert_no_5xx(field, &raw, &reply);
            if reply.status == 204 {
                // A hostile-looking but valid password was accepted: it is
                // the password now.
                user.person.password = serde_json::from_str(&raw).unwrap();
            }
        }
        // `all` is tried last: a valid value would end the session.
        let reply = api.send_raw(
            "POST",
            "/api/v1/auth/logout",
            &[("authorization", auth.as_bytes())],
            Some(&with(&json!({"all": "HOSTILE"}), &raw)),
        );
        assert_no_5xx("all", &raw, &reply);
        if reply.status == 204 {
            user = sign_up(&api);
        }
    }
}

#[test]
fn session_ids_in_the_path() {
    let api = Api::new();
    let user = sign_up(&api);
    let long = "x".repeat(2_000);
    for id in [
        "------------------------------------",
        "00000000-0000-0000-0000-00000000000g",
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
        "%00",
        "%00000000-0000-0000-0000-000000000000",
        "'%20OR%20'1'='1",
        "%E2%80%AE",
        "%F0%9D%95%9A",
        "%ED%A0%80",
        "{00000000-0000-0000-0000-000000000000}",
        long.as_str(),
    ] {
        let reply = api.bearer(
            "DELETE",
            &format!("/api/v1/auth/sessions/{id}"),
            &user.access_token,
            None,
        );
        assert_no_5xx("session id", id, &reply);
        assert_eq!(reply.status, 404, "{id}: {}", reply.text);
    }
    assert_eq!(
        api.me(&user.access_token).status,
        200,
        "the session survived"
    );
}

#[test]
fn a_long_non_ascii_user_agent() {
    let api = Api::new();
    let person = Person::new();
    let agent = "браузер ".repeat(100); // 1 500 bytes, 800 characters
    let reply = api.send_raw(
        "POST",
        "/api/v1/auth/register",
        &[("user-agent", agent.as_bytes())],
        Some(person.registration().to_string().as_bytes()),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    let reply = api.send_raw(
        "POST",
        "/api/v1/auth/login",
        &[("user-agent", agent.as_bytes())],
        Some(
            json!({"login": person.second_login, "password": person.password})
                .to_string()
                .as_bytes(),
        ),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
}

fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn contacts_users_and_query_strings() {
    let api = Api::new();
    let admin = sign_up(&api);
    e2e::set_roles(&admin.user_id, &["superadmin"]);
    let user = sign_up(&api);
    let auth = format!("Bearer {}", admin.access_token);
    let auth_user = format!("Bearer {}", user.access_token);
    for raw in hostile() {
        for field in ["type", "value", "current_password"] {
            let mut body = json!({"type": "email", "value": "someone@example.com",
                                  "current_password": user.person.password});
            body[field] = "HOSTILE".into();
            let reply = api.send_raw(
                "POST",
                "/api/v1/auth/contacts",
                &[("authorization", auth_user.as_bytes())],
                Some(&with(&body, &raw)),
            );
            assert_no_5xx(field, &raw, &reply);
        }
        let person = Person::new();
        for field in [
            "second_login",
            "phone",
            "email",
            "password",
            "group_names",
            "profile",
        ] {
            let mut body = person.registration();
            body.as_object_mut().unwrap().remove("interface");
            body[field] = "HOSTILE".into();
            let reply = api.send_raw(
                "POST",
                "/api/v1/users",
                &[("authorization", auth.as_bytes())],
                Some(&with(&body, &raw)),
            );
            assert_no_5xx(field, &raw, &reply);
        }
        let target = format!("/api/v1/users/{}", user.user_id);
        for (path, body) in [
            (format!("{target}/roles"), json!({"add": "HOSTILE"})),
            (format!("{target}/roles"), json!({"add": ["HOSTILE"]})),
            (format!("{target}/roles"), json!({"remove": "HOSTILE"})),
        ] {
            let reply = api.send_raw(
                "POST",
                &path,
                &[("authorization", auth.as_bytes())],
                Some(&with(&body, &raw)),
            );
            assert_no_5xx(&path, &raw, &reply);
        }
        let reply = api.send_raw(
            "PATCH",
            &target,
            &[("authorization", auth.as_bytes())],
            Some(&with(&json!({"is_active": "HOSTILE"}), &raw)),
        );
        assert_no_5xx("is_active", &raw, &reply);
        if reply.status == 200 {
            // A valid value: whatever it did, make the user active again.
            let on = json!({"is_active": true});
            api.bearer("PATCH", &target, &admin.access_token, Some(&on));
        }
        // Query strings: the value as a decoded string where it is one.
        let text: String = serde_json::from_str::<String>(&raw).unwrap_or_else(|_| raw.clone());
        let encoded = percent_encode(&text);
        for query in [
            format!("/api/v1/auth/availability?second_login={encoded}"),
            format!("/api/v1/auth/availability?phone={encoded}"),
            format!("/api/v1/auth/availability?email={encoded}"),
            format!("/api/v1/auth/roles?interface={encoded}"),
            format!("/api/v1/users?cursor={encoded}"),
            format!("/api/v1/users?limit={encoded}"),
            format!("/api/v1/users?role={encoded}"),
            format!("/api/v1/users?phone={encoded}"),
        ] {
            let reply = api.send_raw("GET", &query, &[("authorization", auth.as_bytes())], None);
            assert_no_5xx(&query[..query.find('=').unwrap()], &raw, &reply);
        }
    }
}

#[test]
fn anonymous_roles_and_forged_cursors_are_a_4xx() {
    use base64::Engine;
    let api = Api::new();
    let mut values = hostile()
        .into_iter()
        .map(|raw| serde_json::from_str::<String>(&raw).unwrap_or(raw))
        .collect::<Vec<_>>();
    values.extend(["\u{0}".to_string(), "\u{d7ff}\u{0}x".to_string()]);
    for value in &values {
        let query = format!("/api/v1/auth/roles?interface={}", percent_encode(value));
        let reply = api.get(&query);
        assert_no_5xx("anonymous interface", value, &reply);
        assert!(reply.status >= 400, "{value:?} answered {}", reply.status);
    }

    // Cursors this service never gave: a timestamp PostgreSQL cannot read,
    // none at all; asked by someone who is not staff and by staff.
    let customer = sign_up(&api);
    let staff = sign_up(&api);
    e2e::set_roles(&staff.user_id, &["superadmin"]);
    let id = "00000000-0000-0000-0000-000000000000";
    for forged in [
        format!("9999-99-99|{id}"),
        format!("|{id}"),
        format!("2025-02-29T10:00:00+00:00|{id}"),
        format!("0000-01-01T00:00:00+00:00|{id}"),
    ] {
        let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&forged);
        for token in [&customer.access_token, &staff.access_token] {
            let reply = api.bearer(
                "GET",
                &format!("/api/v1/users?cursor={cursor}"),
                token,
                None,
            );
            assert_no_5xx("cursor", &forged, &reply);
            assert!(reply.status >= 400, "{forged} answered {}", reply.status);
        }
    }
}

#[test]
fn organization_fields_and_paths() {
    let api = Api::new();
    let admin = e2e::signed_in_as(&api, &["superadmin"]);
    let organization = e2e::new_organization(&api, &admin, "fleet");
    let base = format!("/api/v1/organizations/{organization}");
    let auth = format!("Bearer {}", admin.access_token);
    let send = |method: &str, path: &str, body: &Value, raw: &str| {
        api.send_raw(
            method,
            path,
            &[("authorization", auth.as_bytes())],
            Some(&with(body, raw)),
        )
    };
    for raw in hostile() {
        for field in ["kind", "service_type", "name"] {
            let mut body = json!({"kind": "firm", "service_type": "grocery_store", "name": "Shop"});
            body[field] = "HOSTILE".into();
            assert_no_5xx(
                field,
                &raw,
                &send("POST", "/api/v1/organizations", &body, &raw),
            );
        }
        for field in ["name", "is_active"] {
            let body = json!({ field: "HOSTILE" });
            assert_no_5xx(field, &raw, &send("PATCH", &base, &body, &raw));
        }
        // Whatever a valid value did, the organization is active again.
        let on = json!({"is_active": true});
        api.bearer("PATCH", &base, &admin.access_token, Some(&on));
        for field in ["user_id", "second_login", "phone", "email", "new_user"] {
            let body = json!({ field: "HOSTILE" });
            let reply = send("POST", &format!("{base}/members"), &body, &raw);
            assert_no_5xx(field, &raw, &reply);
        }
        for field in [
            "second_login",
            "phone",
            "password",
            "group_names",
            "profile",
        ] {
            let mut new_user = Person::new().registration();
            new_user.as_object_mut().unwrap().remove("interface");
            new_user["group_names"] = json!(["driver"]);
            new_user[field] = "HOSTILE".into();
            let body = json!({ "new_user": new_user });
            let reply = send("POST", &format!("{base}/members"), &body, &raw);
            assert_no_5xx(field, &raw, &reply);
        }
        let body = json!({"user_id": "HOSTILE"});
        assert_no_5xx(
            "heads",
            &raw,
            &send("POST", &format!("{base}/heads"), &body, &raw),
        );
        let mut body = Person::new().registration();
        body.as_object_mut().unwrap().remove("interface");
        body["organization_id"] = "HOSTILE".into();
        assert_no_5xx(
            "organization_id",
            &raw,
            &send("POST", "/api/v1/users", &body, &raw),
        );

        let text: String = serde_json::from_str::<String>(&raw).unwrap_or_else(|_| raw.clone());
        let encoded = percent_encode(&text);
        for query in [
            format!("/api/v1/organizations?cursor={encoded}"),
            format!("/api/v1/organizations?limit={encoded}"),
            format!("{base}/members?cursor={encoded}"),
            format!("{base}/members?limit={encoded}"),
            format!("/api/v1/users?organization_id={encoded}"),
        ] {
            let reply = api.send_raw("GET", &query, &[("authorization", auth.as_bytes())], None);
            assert_no_5xx(&query[..query.find('=').unwrap()], &raw, &reply);
        }
    }
    // Ids in the path that are no UUID, or nobody's: 404, never 5xx.
    let long = "x".repeat(2_000);
    for id in [
        "00000000-0000-0000-0000-00000000000g",
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
        "%00",
        "'%20OR%20'1'='1",
        "%ED%A0%80",
        "%F0%9D%95%9A",
        long.as_str(),
    ] {
        for (method, path) in [
            ("GET", format!("/api/v1/organizations/{id}")),
            ("PATCH", format!("/api/v1/organizations/{id}")),
            ("GET", format!("/api/v1/organizations/{id}/members")),
            ("POST", format!("/api/v1/organizations/{id}/members")),
            ("POST", format!("/api/v1/organizations/{id}/heads")),
            ("DELETE", format!("{base}/members/{id}")),
            ("DELETE", format!("{base}/heads/{id}")),
            ("DELETE", format!("/api/v1/organizations/{id}/members/{id}")),
            ("POST", format!("/api/v1/auth/invitations/{id}/accept")),
            ("POST", format!("/api/v1/auth/invitations/{id}/decline")),
        ] {
            let body = match method {
                "PATCH" => json!({"name": "Renamed"}),
                _ => json!({"user_id": admin.user_id}),
            };
            let reply = api.bearer(method, &path, &admin.access_token, Some(&body));
            assert_no_5xx(&path, id, &reply);
            assert_eq!(reply.status, 404, "{method} {path}: {}", reply.text);
        }
    }
}

#[test]
fn phone_code_fields() {
    // A host with a gateway of its own, so that no code reaches a log.
    let gateway = e2e::FakeGateway::start("webhook");
    let mut settings = gateway.variables();
    settings.push(("SPIN_VARIABLE_OTP_RESPONSE_FLOOR_MS", "0".to_string()));
    settings.push(("SPIN_VARIABLE_OTP_RESEND_SECONDS", "0".to_string()));
    settings.push((
        "SPIN_VARIABLE_OTP_SMS_PER_PHONE_PER_HOUR",
        "1000".to_string(),
    ));
    let host = e2e::OwnHost::start(&settings);
    let user = sign_up(&host.api);
    let auth = format!("Bearer {}", user.access_token);
    let phone = user.person.phone.clone();
    for raw in hostile() {
        for field in ["phone", "purpose"] {
            let mut body = json!({"phone": phone, "purpose": "login"});
            body[field] = "HOSTILE".into();
            let reply = host.api.send_raw(
                "POST",
                "/api/v1/auth/otp/request",
                &[],
                Some(&with(&body, &raw)),
            );
            assert_no_5xx(field, &raw, &reply);
        }
        for field in ["phone", "purpose", "code"] {
            let mut body = json!({"phone": phone, "purpose": "register", "code": "123456"});
            body[field] = "HOSTILE".into();
            let reply = host.api.send_raw(
                "POST",
                "/api/v1/auth/otp/verify",
                &[],
                Some(&with(&body, &raw)),
            );
            assert_no_5xx(field, &raw, &reply);
        }
        // A proof where one is taken: registration and a new phone.
        let mut body = Person::new().registration();
        body.as_object_mut().unwrap().remove("password");
        body["phone_proof"] = "HOSTILE".into();
        let reply = host.api.send_raw(
            "POST",
            "/api/v1/auth/register",
            &[],
            Some(&with(&body, &raw)),
        );
        assert_no_5xx("phone_proof", &raw, &reply);
        let body = json!({"type": "phone", "value": Person::new().phone, "phone_proof": "HOSTILE"});
        let reply = host.api.send_raw(
            "POST",
            "/api/v1/auth/contacts",
            &[("authorization", auth.as_bytes())],
            Some(&with(&body, &raw)),
        );
        assert_no_5xx("contact phone_proof", &raw, &reply);
    }
    // A proof of the right shape that this service never gave: refused.
    let forged = "A".repeat(43);
    let mut body = Person::new().registration();
    body.as_object_mut().unwrap().remove("password");
    body["phone_proof"] = forged.into();
    let refused = host.api.register(&body).problem(422);
    assert_eq!(refused["errors"][0]["field"], "phone_proof");
}
