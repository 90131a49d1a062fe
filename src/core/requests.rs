//! Request bodies turned into domain values. Every problem with a field is
//! collected, so one answer tells the client everything to fix.

use crate::core::identity::{Email, Invalid, LoginId, Password, Phone, PhoneRegion, SecondLogin};
use crate::core::ports::ContactKind;
use crate::core::problem::FieldError;
use serde_json::{Map, Value};

pub const PROFILE_MAX_BYTES: usize = 8 * 1024;

/// The shape of a group (role) or interface name, as the database's CHECK
/// has it: `^[a-z][a-z_]{1,63}$`. Anything else cannot name one.
fn is_catalog_name(name: &str) -> bool {
    let len = name.len();
    (2..=64).contains(&len)
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// `?interface=` of the anonymous `GET /auth/roles`: a name of the catalog's
/// shape, or a clear 422 (never a value the database cannot even hold, like
/// one with a NUL).
pub fn parse_interface(raw: Option<&str>) -> Result<String, Vec<FieldError>> {
    match raw.map(str::trim) {
        None | Some("") => Err(vec![FieldError::new(
            "interface",
            "is required when not signed in",
        )]),
        Some(name) if is_catalog_name(name) => Ok(name.to_string()),
        Some(_) => Err(vec![FieldError::new(
            "interface",
            "is not a known interface",
        )]),
    }
}

/// How long PostgreSQL's text of `value` as `jsonb` is, which its CHECK on
/// profiles measures: `", "` and `": "` separators, and numbers written out
/// in full (`1e300` is 301 digits there). For a float this is an upper
/// bound, since PostgreSQL may keep a trailing `.0`.
fn jsonb_text_len(value: &Value) -> usize {
    let separators = |n: usize| 2 * n.saturating_sub(1);
    match value {
        Value::Null | Value::Bool(true) => 4,
        Value::Bool(false) => 5,
        Value::Number(n) if n.is_f64() => {
            let plain = n.as_f64().map(|f| format!("{f}").len() + 2).unwrap_or(0);
            plain.max(n.to_string().len())
        }
        Value::Number(n) => n.to_string().len(),
        Value::String(s) => serde_json::to_string(s).map_or(usize::MAX / 2, |s| s.len()),
        Value::Array(items) => {
            2 + items.iter().map(jsonb_text_len).sum::<usize>() + separators(items.len())
        }
        Value::Object(map) => {
            2 + map
                .iter()
                .map(|(k, v)| jsonb_text_len(&Value::String(k.clone())) + 2 + jsonb_text_len(v))
                .sum::<usize>()
                + separators(map.len())
        }
    }
}

/// Whether any key or string anywhere in `value` holds U+0000.
fn contains_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(contains_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || contains_nul(v)),
        _ => false,
    }
}

/// Collects field errors while the fields are read.
struct Fields<'a> {
    body: &'a Map<String, Value>,
    errors: Vec<FieldError>,
}

impl<'a> Fields<'a> {
    fn of(body: &'a Value) -> Result<Self, Vec<FieldError>> {
        match body.as_object() {
            Some(body) => Ok(Fields {
                body,
                errors: vec![],
            }),
            None => Err(vec![FieldError::new("", "the body must be a JSON object")]),
        }
    }

    fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// A required string.
    fn text(&mut self, field: &str) -> Option<&'a str> {
        match self.body.get(field) {
            None | Some(Value::Null) => {
                self.fail(field, "is required");
                None
            }
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                self.fail(field, "must be a string");
                None
            }
        }
    }

    fn optional_text(&mut self, field: &str) -> Option<&'a str> {
        match self.body.get(field) {
            None | Some(Value::Null) => None,
            Some(_) => self.text(field),
        }
    }

    /// Parses a present string, recording why it is invalid.
    fn parsed<T>(
        &mut self,
        field: &str,
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Option<T> {
        match parse(raw?) {
            Ok(v) => Some(v),
            Err(Invalid(message)) => {
                self.fail(field, message);
                None
            }
        }
    }

    fn finish<T>(self, value: Option<T>) -> Result<T, Vec<FieldError>> {
        match value {
            Some(v) if self.errors.is_empty() => Ok(v),
            _ => Err(self.errors),
        }
    }
}

#[derive(Debug)]
pub struct Registration {
    pub second_login: SecondLogin,
    pub phone: Phone,
    pub email: Option<Email>,
    pub password: Password,
    pub profile: Map<String, Value>,
    pub group_names: Vec<String>,
    pub interface: String,
}

impl Registration {
    /// Self-registration: an `interface` is required.
    pub fn parse(body: &Value, region: PhoneRegion) -> Result<Registration, Vec<FieldError>> {
        Registration::parse_fields(body, region, true)
    }

    /// A user created by a grantor (`POST /users`): the same fields, no
    /// `interface` (left empty).
    pub fn parse_new_user(
        body: &Value,
        region: PhoneRegion,
    ) -> Result<Registration, Vec<FieldError>> {
        Registration::parse_fields(body, region, false)
    }

    fn parse_fields(
        body: &Value,
        region: PhoneRegion,
        with_interface: bool,
    ) -> Result<Registration, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let raw_login = f.text("second_login");
        let second_login = f.parsed("second_login", raw_login, SecondLogin::parse);
        let raw_phone = f.text("phone");
        let phone = f.parsed("phone", raw_phone, |s| Phone::parse(s, region));
        let raw_email = f.optional_text("email");
        let email = f.parsed("email", raw_email, Email::parse);
        let raw_password = f.text("password");
        let password = f.parsed("password", raw_password, Password::parse);
        let interface = if with_interface {
            f.text("interface").map(str::trim).map(str::to_string)
        } else {
            Some(String::new())
        };
        if with_interface && interface.as_deref() == Some("") {
            f.fail("interface", "must not be empty");
        } else if with_interface && interface.as_deref().is_some_and(|i| !is_catalog_name(i)) {
            // Not even the shape of one (the database's own rule).
            f.fail("interface", "is not a known interface");
        }

        let group_names = match f.body.get("group_names") {
            None | Some(Value::Null) => {
                f.fail("group_names", "is required");
                None
            }
            Some(Value::Array(items)) if items.is_empty() => {
                f.fail("group_names", "must name at least one role");
                None
            }
            Some(Value::Array(items)) => {
                let mut names: Vec<String> = Vec::new();
                for item in items {
                    match item.as_str().map(|s| s.trim().to_lowercase()) {
                        Some(name) if is_catalog_name(&name) => names.push(name),
                        _ => {
                            f.fail("group_names", "must be a list of role names");
                            break;
                        }
                    }
                }
                names.sort();
                names.dedup();
                Some(names)
            }
            Some(_) => {
                f.fail("group_names", "must be a list of role names");
                None
            }
        };

        let profile = match f.body.get("profile") {
            None | Some(Value::Null) => Some(Map::new()),
            Some(Value::Object(map)) if contains_nul(&Value::Object(map.clone())) => {
                // PostgreSQL's text and jsonb cannot hold U+0000.
                f.fail("profile", "must not contain NUL characters");
                None
            }
            Some(Value::Object(map)) => {
                let size = jsonb_text_len(&Value::Object(map.clone()));
                if size > PROFILE_MAX_BYTES {
                    f.fail(
                        "profile",
                        format!("must be at most {PROFILE_MAX_BYTES} bytes of JSON"),
                    );
                    None
                } else {
                    Some(map.clone())
                }
            }
            Some(_) => {
                f.fail("profile", "must be a JSON object");
                None
            }
        };

        if let (Some(p), Some(l), Some(ph)) = (&password, &second_login, &phone) {
            let mut ids = vec![l.as_str(), ph.as_str()];
            if let Some(e) = &email {
                ids.push(e.as_str());
            }
            if p.repeats_identifier(&ids, region) {
                f.fail("password", "must not be your login, phone or email");
            }
        }

        let all = (|| {
            Some(Registration {
                second_login: second_login?,
                phone: phone?,
                email: if raw_email.is_some() {
                    Some(email?)
                } else {
                    None
                },
                password: password?,
                profile: profile?,
                group_names: group_names?,
                interface: interface?,
            })
        })();
        f.finish(all)
    }
}

#[derive(Debug)]
pub struct LoginRequest {
    /// `None` when the login cannot be any account's (wrong shape): the
    /// answer is then the same 401 as for an unknown one.
    pub login: Option<LoginId>,
    pub password: Password,
    /// The login as the lockout counts it: normalized when it has a known
    /// shape, else trimmed and lower-cased as typed.
    pub attempted: String,
}

impl LoginRequest {
    pub fn parse(body: &Value, region: PhoneRegion) -> Result<LoginRequest, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let raw_login = f.text("login");
        if raw_login.is_some_and(|l| l.trim().is_empty()) {
            f.fail("login", "must not be empty");
        }
        let raw_password = f.text("password");
        let password = f.parsed("password", raw_password, Password::parse_for_login);
        let login = raw_login.map(|l| LoginId::parse(l, region).ok());
        let attempted = match (&login, raw_login) {
            (Some(Some(id)), _) => Some(id.contact().1.to_string()),
            (_, Some(raw)) => Some(raw.trim().to_lowercase()),
            _ => None,
        };
        let all = (|| {
            Some(LoginRequest {
                login: login?,
                password: password?,
                attempted: attempted?,
            })
        })();
        f.finish(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ru() -> PhoneRegion {
        "RU".parse().unwrap()
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_full_registration_parses_normalized() {
        let r = Registration::parse(
            &json!({"second_login": " Ivan ", "phone": "8 912 345 67 89", "email": "I@Example.com",
                    "password": "correct horse", "group_names": ["Customer"], "interface": "customer_app"}),
            ru(),
        )
        .unwrap();
        assert_eq!(r.second_login.as_str(), "ivan");
        assert_eq!(r.phone.as_str(), "+79123456789");
        assert_eq!(r.email.unwrap().as_str(), "i@example.com");
        assert_eq!(r.group_names, vec!["customer"]);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let errors = Registration::parse(
            &json!({"second_login": 5, "phone": "nope", "password": "short", "group_names": "customer",
                    "profile": [1]}),
            ru(),
        )
        .unwrap_err();
        assert_eq!(
            fields(&errors),
            vec![
                "second_login",
                "phone",
                "password",
                "interface",
                "group_names",
                "profile"
            ]
        );
    }

    #[test]
    fn password_equal_to_the_login_is_refused() {
        let errors = Registration::parse(
            &json!({"second_login": "ivan.petrov", "phone": "+79123456789", "password": "Ivan.Petrov",
                    "group_names": ["customer"], "interface": "customer_app"}),
            ru(),
        )
        .unwrap_err();
        assert_eq!(fields(&errors), vec!["password"]);
    }

    #[test]
    fn oversized_profile_is_refused() {
        let errors = Registration::parse(
            &json!({"second_login": "ivan", "phone": "+79123456789", "password": "correct horse",
                    "group_names": ["customer"], "interface": "customer_app",
                    "profile": {"bio": "x".repeat(9000)}}),
            ru(),
        )
        .unwrap_err();
        assert_eq!(fields(&errors), vec!["profile"]);
    }

    #[test]
    fn values_the_database_cannot_hold_are_refused_here() {
        let base = json!({"second_login": "ivan", "phone": "+79123456789", "password": "correct horse",
                          "group_names": ["customer"], "interface": "customer_app"});
        for (field, value) in [
            ("profile", json!({"name": "a\0b"})),
            ("profile", json!({"a\0": 1})),
            ("profile", json!({"deep": [[{"x": "\0"}]]})),
            ("interface", json!("customer_app\0")),
            ("interface", json!("Customer App")),
            ("group_names", json!(["customer\0"])),
            ("group_names", json!(["x"])),
        ] {
            let mut body = base.clone();
            body[field] = value.clone();
            let errors = Registration::parse(&body, ru()).unwrap_err();
            assert_eq!(fields(&errors), vec![field], "{value}");
        }
    }

    #[test]
    fn the_profile_is_measured_as_postgresql_writes_jsonb() {
        // What `SELECT '<value>'::jsonb::text` gives, character for character.
        assert_eq!(
            jsonb_text_len(&json!({"a": [1, 2]})),
            r#"{"a": [1, 2]}"#.len()
        );
        assert_eq!(
            jsonb_text_len(&json!({"a": "x\"y", "b": null})),
            r#"{"a": "x\"y", "b": null}"#.len()
        );
        assert_eq!(jsonb_text_len(&json!({"big": 1e300})), 2 + 5 + 2 + 301 + 2);
        // Small as compact JSON, over 8 KiB as jsonb text: refused here.
        let wide: serde_json::Map<String, Value> = (0..100)
            .map(|i| (format!("k{i:03}"), json!(1e300)))
            .collect();
        assert!(serde_json::to_vec(&wide).unwrap().len() < PROFILE_MAX_BYTES);
        let body = json!({"second_login": "ivan", "phone": "+79123456789", "password": "correct horse",
                          "group_names": ["customer"], "interface": "customer_app", "profile": wide});
        let errors = Registration::parse(&body, ru()).unwrap_err();
        assert_eq!(fields(&errors), vec!["profile"]);
    }

    #[test]
    fn availability_asks_for_exactly_one_normalized_value() {
        let q = |pairs: &[(&str, &str)]| {
            let pairs: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            parse_availability(&pairs, ru())
        };
        assert_eq!(
            q(&[("phone", "8 (999) 123 45 67")]).unwrap(),
            AvailabilityQuery {
                kind: ContactKind::Phone,
                value: "+79991234567".into()
            }
        );
        assert_eq!(q(&[("second_login", "ＩＶＡＮ")]).unwrap().value, "ivan");
        assert_eq!(
            q(&[("email", "User@Example.COM")]).unwrap().value,
            "user@example.com"
        );
        assert!(q(&[]).is_err());
        assert!(q(&[("phone", "+79991234567"), ("email", "a@b.example")]).is_err());
        assert_eq!(fields(&q(&[("phone", "nope")]).unwrap_err()), vec!["phone"]);
    }

    #[test]
    fn a_users_cursor_comes_back_as_the_page_position_it_was() {
        let id = "0b4f6c5e-1d2a-4c3b-9e8f-7a6b5c4d3e2f";
        let cursor = users_cursor("2026-11-22T13:05:42.410788+00:00", id);
        let q = UsersQuery::parse(&[("cursor".into(), cursor)], ru()).unwrap();
        assert_eq!(
            q.after,
            Some(("2026-11-22T13:05:42.410788+00:00".into(), id.into()))
        );
        assert_eq!(q.limit, 50);
        // Another offset: the same instant, in UTC.
        let moscow = users_cursor("2026-11-22T16:05:42.41+03:00", id);
        let q = UsersQuery::parse(&[("cursor".into(), moscow)], ru()).unwrap();
        assert_eq!(q.after.unwrap().0, "2026-11-22T13:05:42.410000+00:00");
        for bad in [
            "bm9wZQ",
            "!!",
            &users_cursor("x'; DROP", id),
            &users_cursor("9999-99-99", id),
            &users_cursor("2025-02-29T00:00:00+00:00", id),
            &users_cursor("0000-01-01T00:00:00+00:00", id),
            &users_cursor("2026-11-22T24:00:00+00:00", id),
            &users_cursor("0001-01-01T00:30:00+01:00", id),
            &users_cursor("", id),
        ] {
            let e = UsersQuery::parse(&[("cursor".into(), bad.to_string())], ru()).unwrap_err();
            assert_eq!(fields(&e), vec!["cursor"]);
        }
        let e = UsersQuery::parse(&[("limit".into(), "101".into())], ru()).unwrap_err();
        assert_eq!(fields(&e), vec!["limit"]);
        let q = UsersQuery::parse(&[("phone".into(), "8 999 123 45 67".into())], ru()).unwrap();
        assert_eq!(q.contact.unwrap().value, "+79991234567");
    }

    #[test]
    fn a_role_change_names_roles_to_add_or_remove() {
        let c = RoleChange::parse(&json!({"add": ["Driver", "driver"], "remove": []})).unwrap();
        assert_eq!((c.add, c.remove), (vec!["driver".to_string()], vec![]));
        assert!(RoleChange::parse(&json!({})).is_err());
        assert!(RoleChange::parse(&json!({"add": ["driver"], "remove": ["driver"]})).is_err());
        assert!(RoleChange::parse(&json!({"add": ["x\0"]})).is_err());
    }

    #[test]
    fn an_interface_in_a_query_is_a_catalog_name_or_a_clear_problem() {
        assert_eq!(parse_interface(Some(" driver_app ")).unwrap(), "driver_app");
        for bad in [
            None,
            Some(""),
            Some("\0"),
            Some("\u{d7ff}\0x"),
            Some("Driver App"),
        ] {
            assert_eq!(
                fields(&parse_interface(bad).unwrap_err()),
                vec!["interface"]
            );
        }
    }

    #[test]
    fn a_new_contact_is_normalized_by_its_type() {
        let c = NewContact::parse(
            &json!({"type": "phone", "value": "8 (999) 123-45-67", "current_password": "pw"}),
            ru(),
        )
        .unwrap();
        assert_eq!(
            (c.kind, c.value.as_str()),
            (ContactKind::Phone, "+79991234567")
        );
        let e = NewContact::parse(&json!({"type": "fax", "value": "1"}), ru()).unwrap_err();
        assert_eq!(fields(&e), vec!["type", "current_password"]);
    }

    #[test]
    fn the_lockout_counts_the_login_as_normalized() {
        let r = LoginRequest::parse(
            &json!({"login": "8 (912) 345-67-89", "password": "x"}),
            ru(),
        );
        assert_eq!(r.unwrap().attempted, "+79123456789");
        let r = LoginRequest::parse(&json!({"login": " Not A Login! ", "password": "x"}), ru());
        assert_eq!(r.unwrap().attempted, "not a login!");
    }

    #[test]
    fn login_of_impossible_shape_is_not_a_validation_error() {
        let r = LoginRequest::parse(
            &json!({"login": "1 not a phone", "password": "whatever"}),
            ru(),
        )
        .unwrap();
        assert!(r.login.is_none());
        let errors = LoginRequest::parse(&json!({"password": 12}), ru()).unwrap_err();
        assert_eq!(fields(&errors), vec!["login", "password"]);
    }
}

#[derive(Debug)]
pub struct PasswordChange {
    pub current: Password,
    pub new: Password,
}

impl PasswordChange {
    pub fn parse(body: &Value) -> Result<PasswordChange, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let raw_current = f.text("current_password");
        let current = f.parsed("current_password", raw_current, Password::parse_for_login);
        let raw_new = f.text("new_password");
        let new = f.parsed("new_password", raw_new, Password::parse);
        if let (Some(c), Some(n)) = (&current, &new) {
            if c.secret().expose() == n.secret().expose() {
                f.fail("new_password", "must differ from the current password");
            }
        }
        let all = (|| {
            Some(PasswordChange {
                current: current?,
                new: new?,
            })
        })();
        f.finish(all)
    }
}

/// `POST /auth/contacts`: `{type, value, current_password}`. The password
/// proves the person at the keyboard is the account's owner; a phone will
/// need a `verify_phone` code instead once OTP lands.
#[derive(Debug)]
pub struct NewContact {
    pub kind: ContactKind,
    /// Normalized as stored.
    pub value: String,
    pub current_password: Password,
}

impl NewContact {
    pub fn parse(body: &Value, region: PhoneRegion) -> Result<NewContact, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let kind = match f.text("type") {
            Some("second_login") => Some(ContactKind::SecondLogin),
            Some("phone") => Some(ContactKind::Phone),
            Some("email") => Some(ContactKind::Email),
            Some(_) => {
                f.fail("type", "must be second_login, phone or email");
                None
            }
            None => None,
        };
        let raw = f.text("value");
        let value = match kind {
            Some(ContactKind::SecondLogin) => f.parsed("value", raw, |v| {
                SecondLogin::parse(v).map(|l| l.as_str().to_string())
            }),
            Some(ContactKind::Phone) => f.parsed("value", raw, |v| {
                Phone::parse(v, region).map(|p| p.as_str().to_string())
            }),
            Some(ContactKind::Email) => f.parsed("value", raw, |v| {
                Email::parse(v).map(|e| e.as_str().to_string())
            }),
            None => None,
        };
        let raw_password = f.text("current_password");
        let current_password =
            f.parsed("current_password", raw_password, Password::parse_for_login);
        let all = (|| {
            Some(NewContact {
                kind: kind?,
                value: value?,
                current_password: current_password?,
            })
        })();
        f.finish(all)
    }
}

/// A list of role names (`group_names`, `add`, `remove`): each of the
/// catalog's shape, lower-cased, sorted, without repeats.
fn role_names(f: &mut Fields<'_>, field: &str, required: bool) -> Option<Vec<String>> {
    match f.body.get(field) {
        None | Some(Value::Null) if !required => Some(vec![]),
        None | Some(Value::Null) => {
            f.fail(field, "is required");
            None
        }
        Some(Value::Array(items)) => {
            let mut names = Vec::new();
            for item in items {
                match item.as_str().map(|s| s.trim().to_lowercase()) {
                    Some(name) if is_catalog_name(&name) => names.push(name),
                    _ => {
                        f.fail(field, "must be a list of role names");
                        return None;
                    }
                }
            }
            names.sort();
            names.dedup();
            Some(names)
        }
        Some(_) => {
            f.fail(field, "must be a list of role names");
            None
        }
    }
}

/// `POST /users/{id}/roles`: `{add: [], remove: []}`, at least one role.
#[derive(Debug)]
pub struct RoleChange {
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

impl RoleChange {
    pub fn parse(body: &Value) -> Result<RoleChange, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let add = role_names(&mut f, "add", false);
        let remove = role_names(&mut f, "remove", false);
        if let (Some(add), Some(remove)) = (&add, &remove) {
            if add.is_empty() && remove.is_empty() {
                f.fail("add", "name a role to add or to remove");
            }
            if add.iter().any(|r| remove.contains(r)) {
                f.fail("remove", "a role cannot be added and removed at once");
            }
        }
        let all = (|| {
            Some(RoleChange {
                add: add?,
                remove: remove?,
            })
        })();
        f.finish(all)
    }
}

/// `PATCH /users/{id}`: `{is_active: bool}`.
pub fn parse_user_patch(body: &Value) -> Result<bool, Vec<FieldError>> {
    match body.get("is_active") {
        Some(Value::Bool(active)) => Ok(*active),
        _ => Err(vec![FieldError::new("is_active", "must be true or false")]),
    }
}

/// `GET /users?limit=&cursor=&role=&second_login=|phone=|email=`.
#[derive(Debug, PartialEq, Eq)]
pub struct UsersQuery {
    pub limit: u32,
    /// After this (created_at, id), from the opaque cursor.
    pub after: Option<(String, String)>,
    pub role: Option<String>,
    pub contact: Option<AvailabilityQuery>,
}

pub const USERS_PAGE_MAX: u32 = 100;
const USERS_PAGE_DEFAULT: u32 = 50;

/// A cursor's `created_at` as an instant PostgreSQL can read: RFC 3339 (as
/// PostgreSQL writes a `timestamptz` in JSON), rewritten in UTC with
/// microseconds, year 1 to 9999. Nothing else reaches the database.
fn cursor_instant(at: &str) -> Option<String> {
    use chrono::{DateTime, Datelike, Utc};
    let instant = DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc);
    (1..=9999)
        .contains(&instant.year())
        .then(|| instant.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string())
}

/// The opaque cursor of the page after the user with this (created_at, id).
pub fn users_cursor(created_at: &str, id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{created_at}|{id}"))
}

impl UsersQuery {
    pub fn parse(
        query: &[(String, String)],
        region: PhoneRegion,
    ) -> Result<UsersQuery, Vec<FieldError>> {
        let get = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let mut errors = Vec::new();
        let limit = match get("limit").map(str::parse::<u32>) {
            None => USERS_PAGE_DEFAULT,
            Some(Ok(n)) if (1..=USERS_PAGE_MAX).contains(&n) => n,
            Some(_) => {
                errors.push(FieldError::new(
                    "limit",
                    "must be a whole number from 1 to 100",
                ));
                0
            }
        };
        let after = get("cursor").map(|c| {
            use base64::Engine;
            let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            let pair = decoded
                .as_deref()
                .and_then(|d| d.split_once('|'))
                .and_then(|(at, id)| {
                    let id = uuid::Uuid::try_parse(id).ok()?;
                    Some((cursor_instant(at)?, id.hyphenated().to_string()))
                });
            if pair.is_none() {
                errors.push(FieldError::new(
                    "cursor",
                    "is not a cursor this service gave",
                ));
            }
            pair
        });
        let role = get("role").map(|r| r.trim().to_lowercase());
        if role.as_deref().is_some_and(|r| !is_catalog_name(r)) {
            errors.push(FieldError::new("role", "is not a role name"));
        }
        let contact_pairs: Vec<(String, String)> = query
            .iter()
            .filter(|(k, _)| matches!(k.as_str(), "second_login" | "phone" | "email"))
            .cloned()
            .collect();
        let contact = if contact_pairs.is_empty() {
            None
        } else {
            match parse_availability(&contact_pairs, region) {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.extend(e);
                    None
                }
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(UsersQuery {
            limit,
            after: after.flatten(),
            role,
            contact,
        })
    }
}

/// A contact value to check for availability, normalized as it is stored.
#[derive(Debug, PartialEq, Eq)]
pub struct AvailabilityQuery {
    pub kind: ContactKind,
    pub value: String,
}

/// `?second_login=…`, `?phone=…` or `?email=…`: exactly one of them.
pub fn parse_availability(
    query: &[(String, String)],
    region: PhoneRegion,
) -> Result<AvailabilityQuery, Vec<FieldError>> {
    let kinds = [
        ("second_login", ContactKind::SecondLogin),
        ("phone", ContactKind::Phone),
        ("email", ContactKind::Email),
    ];
    let asked: Vec<_> = query
        .iter()
        .filter_map(|(k, v)| {
            kinds
                .iter()
                .find(|(name, _)| name == k)
                .map(|(name, kind)| (*name, *kind, v.as_str()))
        })
        .collect();
    let [(field, kind, raw)] = asked[..] else {
        return Err(vec![FieldError::new(
            "",
            "give exactly one of second_login, phone or email",
        )]);
    };
    let value = match kind {
        ContactKind::SecondLogin => SecondLogin::parse(raw).map(|v| v.as_str().to_string()),
        ContactKind::Phone => Phone::parse(raw, region).map(|v| v.as_str().to_string()),
        ContactKind::Email => Email::parse(raw).map(|v| v.as_str().to_string()),
    };
    value
        .map(|value| AvailabilityQuery { kind, value })
        .map_err(|Invalid(message)| vec![FieldError::new(field, message)])
}

/// `{"all": bool}`, optional: an absent or empty body means this session only.
pub fn parse_logout(body: Option<&Value>) -> Result<bool, Vec<FieldError>> {
    match body.map(|b| b.get("all")) {
        None | Some(None) | Some(Some(Value::Null)) => Ok(false),
        Some(Some(Value::Bool(all))) => Ok(*all),
        Some(Some(_)) => Err(vec![FieldError::new("all", "must be true or false")]),
    }
}

/// The refresh token of a JSON body (`{"refresh_token": "..."}`).
pub fn parse_refresh(body: &Value) -> Result<String, Vec<FieldError>> {
    let mut f = Fields::of(body)?;
    let token = f.text("refresh_token").map(str::to_string);
    f.finish(token)
}
