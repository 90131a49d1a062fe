//! Registration (`POST /auth/register`): the request, the rate limit, one
//! transaction, the event announced, the first token pair.

use super::fields::*;
use super::*;
use crate::core::abuse::{self, Limited};
use crate::core::config::Config;
use crate::core::identity::{Email, Password, Phone, PhoneRegion, SecondLogin};
use crate::core::passwords;
use crate::core::ports::{
    ClientInfo, Events, NewEmailLink, NewRegistration, NewSession, Outbound, RegistrationOutcome,
    Store, Throttle,
};
use crate::core::problem::{ApiError, FieldError};
use crate::core::secret::Secret;
use crate::core::tokens::{self, Subject};
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Serialize)]
pub struct RegisteredUser {
    pub id: String,
    pub second_login: String,
    pub phone: String,
    pub email: Option<String>,
    pub roles: Vec<String>,
    pub profile: Map<String, Value>,
    pub created_at: String,
    /// The email is someone else's unverified one: not the user's until the
    /// link sent to it is followed (SPEC §2).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub email_pending: bool,
}

pub struct RegistrationResponse {
    pub tokens: TokenPair,
    pub user: RegisteredUser,
}

/// The per-client-IP rate limit of registration, counted before the body is
/// even parsed. Unlike login it fails open: registration needs no Redis
/// otherwise (the event waits in the outbox), and a signup outage is worse
/// than a few unthrottled signups while Redis is down.
pub async fn admit_registration(
    config: &Config,
    throttle: &mut impl Throttle,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let window = abuse::rate_window(config.limits()?, Limited::Register, client.ip.as_deref());
    match admit(throttle, &[window]).await {
        Err(ApiError::Unavailable { .. }) => {
            eprintln!("registration rate limit not applied: Redis unavailable");
            Ok(())
        }
        other => other,
    }
}

pub async fn register(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl Events + Throttle),
    outbound: &mut impl Outbound,
    request: Registration,
    client: &ClientInfo,
) -> Result<RegistrationResponse, ApiError> {
    let password_hash: Option<Secret<String>> = match &request.credential {
        Credential::Password(password) => Some(
            passwords::hash(password, config.bcrypt_cost()?)
                .map_err(|e| ApiError::internal("register.hash_password", e))?,
        ),
        Credential::PhoneProof(_) => None,
    };
    let refresh = new_refresh_seed("register.refresh_token")?;
    // An email is verified by a link sent to it (SPEC §2): stored with the
    // registration, sent once it has committed.
    let email_link = match &request.email {
        Some(_) => recovery::verification_link_to_send(config)?,
        None => None,
    };
    let registration = NewRegistration {
        second_login: request.second_login.as_str(),
        phone: request.phone.as_str(),
        email: request.email.as_ref().map(|e| e.as_str()),
        password_hash: password_hash.as_ref().map(|h| h.expose().as_str()),
        profile: &request.profile,
        group_names: &request.group_names,
        interface: &request.interface,
        session: NewSession {
            refresh_seed: &refresh,
            ttl_seconds: config.refresh_ttl_seconds()?,
            max_sessions: config.max_active_sessions()?,
            client,
        },
        outbox_retry_seconds: config.outbox_retry_seconds()?,
        email_link: match &email_link {
            Some(token) => Some(NewEmailLink {
                token_hash: &token.hash,
                ttl_seconds: config.email()?.verify_link_ttl_seconds,
            }),
            None => None,
        },
    };
    let outcome = match &request.credential {
        Credential::Password(_) => store.register(&registration).await?,
        Credential::PhoneProof(proof) => {
            let proof_hash = tokens::hash_refresh_token(proof.expose());
            store.register_by_phone(&proof_hash, &registration).await?
        }
    };
    let registered = match outcome {
        RegistrationOutcome::Registered(registered) => registered,
        RegistrationOutcome::Taken { field } => {
            return Err(ApiError::Conflict {
                field: field.as_str().to_string(),
            })
        }
        RegistrationOutcome::UnknownInterface => {
            return Err(ApiError::Validation(vec![FieldError::new(
                "interface",
                "is not a known interface",
            )]))
        }
        RegistrationOutcome::RolesNotAllowed { roles } => {
            return Err(ApiError::RolesNotAllowed { roles })
        }
        RegistrationOutcome::ProofInvalid => {
            return Err(ApiError::Validation(vec![FieldError::new(
                "phone_proof",
                "is not a valid proof for this phone: request and verify a register code again",
            )]))
        }
    };

    if let Some(from_user_id) = &registered.taken_from {
        audit::security(SecurityEvent::UnverifiedContactTaken {
            kind: "phone",
            from_user_id,
            by_user_id: &registered.user_id,
        });
    }

    // The outbox rows are committed, already marked published; announcing
    // them is the low-latency path. What cannot be announced now is given
    // back and goes out with a later registration or the operator command
    // (a repeat carries the same event_id); CDC reads the outbox itself.
    announce_marked(store, cache, &registered.events).await;
    if let (Some(email), Some(token)) = (&request.email, &email_link) {
        recovery::send_verification_link(
            config,
            store,
            cache,
            outbound,
            (
                email.as_str(),
                registered.email_claimed,
                &registered.user_id,
            ),
            token,
        )
        .await;
    }

    // Opened by a password, or by a code to the phone (RFC 8176).
    let amr = [match request.credential {
        Credential::Password(_) => "pwd",
        Credential::PhoneProof(_) => "sms",
    }
    .to_string()];
    let subject = Subject {
        user_id: &registered.user_id,
        session_id: &registered.session_id,
        roles: &registered.roles,
        // A new user belongs to no organization yet.
        organizations: &[],
        amr: &amr,
    };
    // A new session: all of its lifetime is left.
    let session_seconds = i64::from(config.refresh_ttl_seconds()?);
    let tokens = token_pair(config, &subject, (&refresh, 0), session_seconds)?;
    Ok(RegistrationResponse {
        tokens,
        user: RegisteredUser {
            id: registered.user_id,
            second_login: request.second_login.as_str().to_string(),
            phone: request.phone.as_str().to_string(),
            email: request.email.map(|e| e.as_str().to_string()),
            roles: registered.roles,
            profile: request.profile,
            created_at: registered.created_at,
            email_pending: registered.email_claimed,
        },
    })
}

/// How a person registering proves themselves: a password, or the proof a
/// `register` code bought for their phone (a phone-only account, without a
/// password until they set one).
#[derive(Debug)]
pub enum Credential {
    Password(Password),
    PhoneProof(Secret<String>),
}

#[derive(Debug)]
pub struct Registration<C = Credential> {
    pub second_login: SecondLogin,
    pub phone: Phone,
    pub email: Option<Email>,
    pub credential: C,
    pub profile: Map<String, Value>,
    pub group_names: Vec<String>,
    pub interface: String,
}

impl Registration<Credential> {
    /// Self-registration: an `interface` is required, and a `password` or a
    /// `phone_proof`.
    pub fn parse(body: &Value, region: PhoneRegion) -> Result<Registration, Vec<FieldError>> {
        Registration::parse_fields(body, region, true)
    }
}

impl Registration<Password> {
    /// A user created by a grantor (`POST /users`): the same fields with a
    /// password, no `interface` (left empty).
    pub fn parse_new_user(
        body: &Value,
        region: PhoneRegion,
    ) -> Result<Registration<Password>, Vec<FieldError>> {
        let r = Registration::parse_fields(body, region, false)?;
        let Credential::Password(password) = r.credential else {
            return Err(vec![FieldError::new("password", "is required")]);
        };
        Ok(Registration {
            second_login: r.second_login,
            phone: r.phone,
            email: r.email,
            credential: password,
            profile: r.profile,
            group_names: r.group_names,
            interface: r.interface,
        })
    }
}

impl Registration<Credential> {
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
        // Self-registration may prove the phone instead of giving a password.
        let proof = if with_interface {
            f.optional_text("phone_proof")
        } else {
            None
        };
        let password_given = f.body.get("password").is_some_and(|v| !v.is_null());
        let password = if proof.is_some() && !password_given {
            None
        } else {
            let raw_password = f.text("password");
            f.parsed("password", raw_password, Password::parse)
        };
        if proof.is_some() && password_given {
            f.fail("phone_proof", "give a password or a phone proof, not both");
        }
        if proof.is_some_and(|p| !tokens::is_opaque_token(p)) {
            f.fail("phone_proof", "is not a proof this service gave");
        }
        let credential = match (proof, password) {
            (Some(proof), None) if !password_given => {
                Some(Credential::PhoneProof(Secret::new(proof.to_string())))
            }
            (None, Some(password)) => Some(Credential::Password(password)),
            _ => None,
        };
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

        let password = match &credential {
            Some(Credential::Password(p)) => Some(p),
            _ => None,
        };
        if let (Some(p), Some(l), Some(ph)) = (password, &second_login, &phone) {
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
                credential: credential?,
                profile: profile?,
                group_names: group_names?,
                interface: interface?,
            })
        })();
        f.finish(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::identity::PhoneRegion;
    use crate::core::problem::FieldError;
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
}
