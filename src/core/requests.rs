//! Request bodies turned into domain values. Every problem with a field is
//! collected, so one answer tells the client everything to fix.

use crate::core::identity::{Email, Invalid, LoginId, Password, Phone, PhoneRegion, SecondLogin};
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
    pub fn parse(body: &Value, region: PhoneRegion) -> Result<Registration, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let raw_login = f.text("second_login");
        let second_login = f.parsed("second_login", raw_login, SecondLogin::parse);
        let raw_phone = f.text("phone");
        let phone = f.parsed("phone", raw_phone, |s| Phone::parse(s, region));
        let raw_email = f.optional_text("email");
        let email = f.parsed("email", raw_email, Email::parse);
        let raw_password = f.text("password");
        let password = f.parsed("password", raw_password, Password::parse);
        let interface = f.text("interface").map(str::trim).map(str::to_string);
        if interface.as_deref() == Some("") {
            f.fail("interface", "must not be empty");
        } else if interface.as_deref().is_some_and(|i| !is_catalog_name(i)) {
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
