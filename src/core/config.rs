//! The service's settings (SPEC §8), parsed from Spin variables. A bad or
//! missing value is an error that names the variable, never a silent default.

use crate::core::abuse::Limits;
use crate::core::identity::PhoneRegion;
use crate::core::keys::TokenKeys;
use crate::core::secret::Secret;
use std::fmt;

/// A variable that is missing or holds a value the service cannot use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "variable {}: {}", self.variable, self.reason)
    }
}

#[derive(Debug)]
pub struct Config {
    pub db_url: Secret<String>,
    pub redis_url: Secret<String>,
    /// How access tokens are signed and verified (HS256 or EdDSA).
    pub keys: TokenKeys,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_ttl_seconds: u32,
    pub refresh_ttl_seconds: u32,
    pub refresh_reuse_grace_seconds: u32,
    pub bcrypt_cost: u32,
    pub max_active_sessions: u32,
    pub default_phone_region: PhoneRegion,
    pub trusted_proxy: bool,
    /// Tokens in cookies for every client, not only those sending `X-Auth-Mode: cookie`.
    pub cookie_mode: bool,
    /// Origins allowed to call the API from a browser (CORS).
    pub cors_allowed_origins: Vec<String>,
    /// Lockout and rate limits (SPEC §6).
    pub limits: Limits,
    /// How long ended sessions and consumed refresh tokens are kept.
    pub retention_days: u32,
    /// How long an event may stay unpublished before a registration announces it again.
    pub outbox_retry_seconds: u32,
}

pub const JWT_SECRET_MIN_BYTES: usize = 32;

impl Config {
    /// Reads every setting through `lookup` (a Spin variable, in production).
    pub fn load(lookup: impl Fn(&'static str) -> Option<String>) -> Result<Config, ConfigError> {
        let text = |name: &'static str| -> Result<String, ConfigError> {
            match lookup(name) {
                Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
                _ => Err(ConfigError {
                    variable: name,
                    reason: "is not set".into(),
                }),
            }
        };
        let number = |name: &'static str, min: u32, max: u32| -> Result<u32, ConfigError> {
            let raw = text(name)?;
            match raw.parse::<u32>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(ConfigError {
                    variable: name,
                    reason: format!("must be a whole number from {min} to {max}"),
                }),
            }
        };

        let jwt_secret = text("jwt_secret")?.into_bytes();
        if jwt_secret.len() < JWT_SECRET_MIN_BYTES {
            return Err(ConfigError {
                variable: "jwt_secret",
                reason: format!("must be at least {JWT_SECRET_MIN_BYTES} bytes"),
            });
        }
        let access_ttl_seconds = number("access_ttl_seconds", 60, 86_400)?;
        let refresh_ttl_seconds = number("refresh_ttl_seconds", 300, 31_536_000)?;
        if refresh_ttl_seconds < access_ttl_seconds {
            return Err(ConfigError {
                variable: "refresh_ttl_seconds",
                reason: "must not be shorter than access_ttl_seconds".into(),
            });
        }
        let flag = |name: &'static str| match lookup(name).unwrap_or_default().trim() {
            "" | "false" | "0" | "no" => Ok(false),
            "true" | "1" | "yes" => Ok(true),
            _ => Err(ConfigError {
                variable: name,
                reason: "must be true or false".into(),
            }),
        };
        let optional = |name: &'static str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let keys = match text("jwt_algorithm")?.as_str() {
            "HS256" => TokenKeys::hs256(&jwt_secret),
            "EdDSA" => {
                let private = optional("jwt_private_key").ok_or(ConfigError {
                    variable: "jwt_private_key",
                    reason: "is required when jwt_algorithm is EdDSA".into(),
                })?;
                TokenKeys::eddsa(&private, optional("jwt_retiring_public_key").as_deref())
                    .map_err(|(variable, reason)| ConfigError { variable, reason })?
            }
            _ => {
                return Err(ConfigError {
                    variable: "jwt_algorithm",
                    reason: "must be HS256 or EdDSA".into(),
                })
            }
        };
        let cors_allowed_origins = optional("cors_allowed_origins")
            .unwrap_or_default()
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_string())
            .filter(|o| !o.is_empty())
            .collect::<Vec<_>>();
        if let Some(bad) = cors_allowed_origins
            .iter()
            .find(|o| !(o.starts_with("https://") || o.starts_with("http://")))
        {
            return Err(ConfigError {
                variable: "cors_allowed_origins",
                reason: format!("{bad:?} is not an origin like https://app.example.com"),
            });
        }
        Ok(Config {
            db_url: Secret::new(text("db_url")?),
            redis_url: Secret::new(text("redis_url")?),
            keys,
            jwt_issuer: text("jwt_issuer")?,
            jwt_audience: text("jwt_audience")?,
            access_ttl_seconds,
            refresh_ttl_seconds,
            refresh_reuse_grace_seconds: number("refresh_reuse_grace_seconds", 0, 300)?,
            bcrypt_cost: number("bcrypt_cost", 4, 31)?,
            max_active_sessions: number("max_active_sessions", 1, 1000)?,
            default_phone_region: text("default_phone_region")?.parse().map_err(|e| {
                ConfigError {
                    variable: "default_phone_region",
                    reason: format!("{e}"),
                }
            })?,
            trusted_proxy: flag("trusted_proxy")?,
            cookie_mode: flag("cookie_mode")?,
            cors_allowed_origins,
            limits: Limits {
                login_max_failures: number("login_max_failures", 1, 1_000_000)?,
                login_lock_seconds: number("login_lock_seconds", 1, 86_400)?,
                login_max_failures_per_hour: number("login_max_failures_per_hour", 1, 1_000_000)?,
                rate_limit_window_seconds: number("rate_limit_window_seconds", 1, 86_400)?,
                login_rate_limit_per_ip: number("login_rate_limit_per_ip", 1, 1_000_000_000)?,
                register_rate_limit_per_ip: number("register_rate_limit_per_ip", 1, 1_000_000_000)?,
                availability_rate_limit_per_ip: number(
                    "availability_rate_limit_per_ip",
                    1,
                    1_000_000_000,
                )?,
            },
            retention_days: number("retention_days", 1, 3650)?,
            outbox_retry_seconds: number("outbox_retry_seconds", 0, 86_400)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn good() -> HashMap<&'static str, String> {
        HashMap::from([
            ("db_url", "postgres://u@h/db".to_string()),
            ("redis_url", "redis://h".to_string()),
            ("jwt_secret", "x".repeat(32)),
            ("jwt_issuer", "auth".to_string()),
            ("jwt_audience", "platform".to_string()),
            ("access_ttl_seconds", "1800".to_string()),
            ("refresh_ttl_seconds", "2592000".to_string()),
            ("bcrypt_cost", "12".to_string()),
            ("max_active_sessions", "10".to_string()),
            ("default_phone_region", "RU".to_string()),
            ("refresh_reuse_grace_seconds", "10".to_string()),
            ("jwt_algorithm", "HS256".to_string()),
            ("login_max_failures", "15".to_string()),
            ("login_lock_seconds", "300".to_string()),
            ("login_max_failures_per_hour", "100".to_string()),
            ("rate_limit_window_seconds", "60".to_string()),
            ("login_rate_limit_per_ip", "30".to_string()),
            ("register_rate_limit_per_ip", "10".to_string()),
            ("availability_rate_limit_per_ip", "60".to_string()),
            ("retention_days", "30".to_string()),
            ("outbox_retry_seconds", "30".to_string()),
        ])
    }

    fn load(vars: &HashMap<&'static str, String>) -> Result<Config, ConfigError> {
        Config::load(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_of_the_manifest_load() {
        let c = load(&good()).unwrap();
        assert_eq!(c.bcrypt_cost, 12);
        assert!(!c.trusted_proxy);
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let mut vars = good();
        vars.insert("bcrypt_cost", "twelve".into());
        assert_eq!(load(&vars).unwrap_err().variable, "bcrypt_cost");

        let mut vars = good();
        vars.insert("jwt_secret", "too short".into());
        assert_eq!(load(&vars).unwrap_err().variable, "jwt_secret");

        let mut vars = good();
        vars.remove("db_url");
        assert_eq!(load(&vars).unwrap_err().variable, "db_url");

        let mut vars = good();
        vars.insert("jwt_algorithm", "EdDSA".into());
        assert_eq!(load(&vars).unwrap_err().variable, "jwt_private_key");

        let mut vars = good();
        vars.insert("cors_allowed_origins", "app.example.com".into());
        assert_eq!(load(&vars).unwrap_err().variable, "cors_allowed_origins");

        let mut vars = good();
        vars.insert("login_max_failures", "0".into());
        assert_eq!(load(&vars).unwrap_err().variable, "login_max_failures");

        let mut vars = good();
        vars.insert("default_phone_region", "Narnia".into());
        assert_eq!(load(&vars).unwrap_err().variable, "default_phone_region");
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let c = load(&good()).unwrap();
        assert!(!format!("{c:?}").contains(&"x".repeat(32)));
    }
}
