//! What needs no signed-in caller: readiness, whether a contact value is
//! free, which roles an interface may self-register.

use super::fields::*;
use super::*;
use crate::core::abuse::{self, Limited};
use crate::core::config::Config;
use crate::core::identity::{Email, Invalid, Phone, PhoneRegion, SecondLogin};
use crate::core::ports::{
    ClientInfo, ContactKind, InterfaceRoles, Reachable, Role, Store, Throttle,
};
use crate::core::problem::{ApiError, FieldError};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// Readiness: which dependency answers. Names only, never addresses.
#[derive(Debug, Serialize)]
pub struct Readiness {
    pub ready: bool,
    pub checks: Map<String, Value>,
}

impl Readiness {
    pub fn misconfigured(reason: String) -> Readiness {
        let mut checks = Map::new();
        checks.insert("configuration".into(), Value::String(reason));
        Readiness {
            ready: false,
            checks,
        }
    }
}

/// Readiness of a service whose settings read well (`Config::check_all`):
/// PostgreSQL, Redis, and `mfa_encryption_key` wherever a second factor
/// may be asked for (a role requires one, or someone has one).
pub async fn readiness(
    config: &Config,
    store: &mut impl Store,
    cache: &mut impl Reachable,
) -> Readiness {
    let mut checks = Map::new();
    let postgresql = match store.ping().await {
        Ok(()) => "ok",
        Err(e) => {
            eprintln!("readiness: PostgreSQL: {e:?}");
            "unavailable"
        }
    };
    let mut configuration = json!("ok");
    if postgresql == "ok" {
        match second_factor_key_problem(config, store).await {
            Ok(None) => {}
            Ok(Some(problem)) => configuration = json!(problem),
            Err(e) => eprintln!("readiness: PostgreSQL: {e:?}"),
        }
    }
    checks.insert("configuration".into(), configuration.clone());
    let redis = match cache.ping().await {
        Ok(()) => "ok",
        Err(e) => {
            eprintln!("readiness: {e}");
            "unavailable"
        }
    };
    checks.insert("postgresql".into(), json!(postgresql));
    checks.insert("redis".into(), json!(redis));
    Readiness {
        ready: postgresql == "ok" && redis == "ok" && configuration == "ok",
        checks,
    }
}

/// What is wrong with `mfa_encryption_key` where a second factor may be
/// asked for (a role requires one, or someone has one): missing or short,
/// or not the key the stored secrets were sealed with (a rotated or
/// mistyped key would lock every enrolled user out at their next sign-in).
async fn second_factor_key_problem(
    config: &Config,
    store: &mut impl Store,
) -> Result<Option<String>, crate::core::ports::StoreError> {
    let required = config.mfa().is_ok_and(|mfa| !mfa.required_roles.is_empty());
    let sample = store.second_factor_sample().await?;
    if !required && sample.is_none() {
        return Ok(None);
    }
    let key = match config.mfa_key() {
        Ok(key) => key,
        Err(e) => return Ok(Some(e.to_string())),
    };
    let opens = sample.is_none_or(|sample| {
        super::second_factor::opens_with(&sample.sealed_secret, key.expose(), &sample.user_id)
    });
    Ok((!opens).then(|| {
        "variable mfa_encryption_key: does not open the stored second-factor secrets (not the key they were sealed with)".to_string()
    }))
}

/// Whether a login, phone or email is free, rate-limited per client IP like
/// login so it is no cheaper an enumeration oracle than registration.
pub async fn availability(
    config: &Config,
    store: &mut impl Store,
    throttle: &mut impl Throttle,
    query: &AvailabilityQuery,
    client: &ClientInfo,
) -> Result<bool, ApiError> {
    let window = abuse::rate_window(
        config.limits()?,
        Limited::Availability,
        client.ip.as_deref(),
    );
    admit(throttle, &[window]).await?;
    Ok(store.contact_available(query.kind, &query.value).await?)
}

/// The roles a person may self-register into through `interface`.
pub async fn self_registration_roles(
    store: &mut impl Store,
    interface: &str,
) -> Result<Vec<Role>, ApiError> {
    match store.self_registration_roles(interface).await? {
        InterfaceRoles::Roles { roles } => Ok(roles),
        InterfaceRoles::UnknownInterface => Err(ApiError::Validation(vec![FieldError::new(
            "interface",
            "is not a known interface",
        )])),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::identity::PhoneRegion;
    use crate::core::problem::FieldError;

    fn ru() -> PhoneRegion {
        "RU".parse().unwrap()
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
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
}
