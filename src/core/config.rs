//! The service's settings (SPEC §8), parsed from Spin variables. A bad or
//! missing value is an error that names the variable, never a silent default.

use crate::core::abuse::Limits;
use crate::core::client_address::TrustedProxies;
use crate::core::email::{EmailGateway, EmailGatewayKind};
use crate::core::identity::PhoneRegion;
use crate::core::keys::TokenKeys;
use crate::core::secret::Secret;
use crate::core::sms::{Gateway, GatewayKind};
use base64::Engine;
use std::cell::OnceCell;
use std::fmt;

/// A variable that is missing or holds a value the service cannot use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: String,
    /// The host could not read the variable (its provider failed): a
    /// passing fault (503), not a bad value (500).
    pub unreadable: bool,
}

/// What the host says of one variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Variable {
    Set(String),
    /// Neither set nor given a default.
    NotSet,
    /// The host failed to read it (a secrets store down, say): never taken
    /// for "not set".
    Unreadable(String),
}

impl From<Option<String>> for Variable {
    fn from(value: Option<String>) -> Variable {
        value.map_or(Variable::NotSet, Variable::Set)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "variable {}: {}", self.variable, self.reason)
    }
}

impl std::error::Error for ConfigError {}

/// The settings, each read from its variable the first time a request needs
/// it and kept for the rest of the request: reading a Spin variable costs the
/// host tens of microseconds, so `/health` reads none and `/me` only what
/// checking a token needs. A getter answers the parsed value or the error
/// that names its variable.
/// Every variable the settings are read from. The p3 build reads them all at
/// an instance's first request and keeps them (reading one is an async host
/// call there); a test checks this list against what `Config` reads and
/// against `spin.toml`.
pub const VARIABLES: &[&str] = &[
    "db_url",
    "redis_url",
    "jwt_secret",
    "jwt_algorithm",
    "jwt_private_key",
    "jwt_retiring_public_key",
    "jwt_issuer",
    "jwt_audience",
    "access_ttl_seconds",
    "refresh_ttl_seconds",
    "refresh_reuse_grace_seconds",
    "bcrypt_cost",
    "max_active_sessions",
    "default_phone_region",
    "trusted_proxy",
    "cookie_mode",
    "cors_allowed_origins",
    "login_max_failures",
    "login_lock_seconds",
    "login_max_failures_per_hour",
    "rate_limit_window_seconds",
    "login_rate_limit_per_ip",
    "register_rate_limit_per_ip",
    "availability_rate_limit_per_ip",
    "create_user_rate_limit_per_caller",
    "retention_days",
    "outbox_retry_seconds",
    "otp_ttl_seconds",
    "otp_max_attempts",
    "otp_resend_seconds",
    "otp_proof_ttl_seconds",
    "otp_sms_per_phone_per_hour",
    "otp_sms_per_ip_per_hour",
    "otp_sms_per_hour",
    "sms_countries",
    "otp_response_floor_ms",
    "sms_text_template",
    "sms_verify_phone_text_template",
    "sms_reauth_text_template",
    "reauth_seconds",
    "sms_phone_changed_text",
    "sms_gateway",
    "sms_gateway_url",
    "sms_gateway_token",
    "sms_gateway_account",
    "sms_sender",
    "sms_gateway_timeout_ms",
    "sms_recovery_text_template",
    "sms_password_reset_text",
    "recovery_per_login_per_hour",
    "recovery_per_ip_per_hour",
    "email_per_address_per_hour",
    "email_per_user_per_hour",
    "email_per_hour",
    "email_gateway",
    "email_gateway_url",
    "email_gateway_token",
    "email_gateway_domain",
    "email_from",
    "email_gateway_timeout_ms",
    "email_link_base",
    "email_verify_link_ttl_seconds",
    "email_recovery_link_ttl_seconds",
    "email_verify_subject",
    "email_verify_text_template",
    "email_recovery_subject",
    "email_recovery_text_template",
    "email_password_reset_subject",
    "email_password_reset_text",
    "sms_second_factor_changed_text",
    "email_second_factor_changed_subject",
    "email_second_factor_changed_text",
    "mfa_encryption_key",
    "mfa_required_roles",
    "mfa_issuer",
    "mfa_token_ttl_seconds",
];

/// Phone codes (SPEC §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpSettings {
    pub ttl_seconds: u32,
    pub max_attempts: u32,
    pub resend_seconds: u32,
    /// How long a register or verify_phone proof may wait to be used.
    pub proof_ttl_seconds: u32,
    /// Every code request answers no sooner than this after it arrived,
    /// sent or not: a known phone (an SMS to send) and an unknown one take
    /// alike. Set it above the gateway's usual answer time.
    pub response_floor_ms: u32,
    /// The SMS of `login` and `register` codes, with `{code}` and
    /// `{minutes}`.
    pub text_template: String,
    /// The SMS of a `verify_phone` code: it says the number is being added
    /// to an account.
    pub verify_phone_text_template: String,
    /// The SMS of a `reauth` code: it says a change of how one signs in is
    /// being confirmed, and what to do if that is not the owner.
    pub reauth_text_template: String,
    /// How long a `reauth` proof (a fresh proof of the account, SPEC §2)
    /// may wait to be used.
    pub reauth_seconds: u32,
    /// The notice to a phone that was replaced (SPEC §2), with `{phone}`
    /// (the new number, partly hidden).
    pub phone_changed_text: String,
    /// The SMS of a `recover` code: it says a password is being reset.
    pub recovery_text_template: String,
    /// The notice to the verified phone after a reset by email link.
    pub password_reset_text: String,
    /// The notice to the verified phone when a second factor is turned on
    /// or off: `{change}` says which.
    pub second_factor_changed_text: String,
}

impl OtpSettings {
    /// The SMS text for a code of `purpose`.
    pub fn text_for(&self, purpose: crate::core::otp::Purpose) -> &str {
        use crate::core::otp::Purpose;
        match purpose {
            Purpose::Login | Purpose::Register => &self.text_template,
            Purpose::VerifyPhone => &self.verify_phone_text_template,
            Purpose::Reauth => &self.reauth_text_template,
            Purpose::Recover => &self.recovery_text_template,
        }
    }
}

/// How SMS go out (the `sms_gateway` variable).
#[derive(Debug)]
pub enum SmsDelivery {
    /// Empty: no SMS at all; code requests answer 503 "not configured".
    NotConfigured,
    /// `log`: development mode, the text goes to the component's log (and
    /// the service says so).
    Log,
    Gateway(Gateway),
}

/// Emails (SPEC §6a): links, their lifetimes, the texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSettings {
    /// The React app's URL; links open `{link_base}/verify-email#token=…`
    /// and `{link_base}/reset-password#token=…`.
    pub link_base: String,
    pub verify_link_ttl_seconds: u32,
    pub recovery_link_ttl_seconds: u32,
    pub verify_subject: String,
    /// With `{link}` and `{minutes}`.
    pub verify_text_template: String,
    pub recovery_subject: String,
    /// With `{link}` and `{minutes}`.
    pub recovery_text_template: String,
    /// The notice to the other verified emails after a reset.
    pub password_reset_subject: String,
    pub password_reset_text: String,
    /// The notice when a second factor is turned on or off (`{change}`).
    pub second_factor_changed_subject: String,
    pub second_factor_changed_text: String,
}

/// The second factor (SPEC §6a), but its key (`Config::mfa_key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaSettings {
    /// Roles that may use staff endpoints only with a token whose `amr`
    /// says `mfa`; empty turns the rule off.
    pub required_roles: Vec<String>,
    /// The issuer authenticator apps show beside the account.
    pub issuer: String,
    /// How long an `mfa_token` (between the first factor and the second)
    /// lives.
    pub token_ttl_seconds: u32,
}

impl MfaSettings {
    /// Whether a holder of `roles` must show a second factor to use staff
    /// endpoints.
    pub fn required_for(&self, roles: &[String]) -> bool {
        roles.iter().any(|r| self.required_roles.contains(r))
    }
}

/// How emails go out (the `email_gateway` variable).
#[derive(Debug)]
pub enum EmailDelivery {
    /// Empty: no email at all (links are stored, never sent; asking for
    /// one answers 503).
    NotConfigured,
    /// `log`: development mode, the email goes to the component's log (and
    /// the service says so).
    Log,
    Gateway(EmailGateway),
}

pub struct Config {
    lookup: Box<dyn Fn(&'static str) -> Variable>,
    db_url: OnceCell<Result<Secret<String>, ConfigError>>,
    redis_url: OnceCell<Result<Secret<String>, ConfigError>>,
    keys: OnceCell<Result<TokenKeys, ConfigError>>,
    jwt_issuer: OnceCell<Result<String, ConfigError>>,
    jwt_audience: OnceCell<Result<String, ConfigError>>,
    access_ttl_seconds: OnceCell<Result<u32, ConfigError>>,
    refresh_ttl_seconds: OnceCell<Result<u32, ConfigError>>,
    refresh_reuse_grace_seconds: OnceCell<Result<u32, ConfigError>>,
    bcrypt_cost: OnceCell<Result<u32, ConfigError>>,
    max_active_sessions: OnceCell<Result<u32, ConfigError>>,
    default_phone_region: OnceCell<Result<PhoneRegion, ConfigError>>,
    sms_countries: OnceCell<Result<Vec<PhoneRegion>, ConfigError>>,
    trusted_proxy: OnceCell<Result<TrustedProxies, ConfigError>>,
    cookie_mode: OnceCell<Result<bool, ConfigError>>,
    cors_allowed_origins: OnceCell<Result<Vec<String>, ConfigError>>,
    limits: OnceCell<Result<Limits, ConfigError>>,
    retention_days: OnceCell<Result<u32, ConfigError>>,
    outbox_retry_seconds: OnceCell<Result<u32, ConfigError>>,
    otp: OnceCell<Result<OtpSettings, ConfigError>>,
    sms_gateway: OnceCell<Result<SmsDelivery, ConfigError>>,
    email: OnceCell<Result<EmailSettings, ConfigError>>,
    email_gateway: OnceCell<Result<EmailDelivery, ConfigError>>,
    mfa: OnceCell<Result<MfaSettings, ConfigError>>,
    mfa_key: OnceCell<Result<Secret<[u8; 32]>, ConfigError>>,
    otp_key: OnceCell<Result<Secret<Vec<u8>>, ConfigError>>,
    refresh_key: OnceCell<Result<Secret<[u8; 32]>, ConfigError>>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Config { .. }")
    }
}

pub const JWT_SECRET_MIN_BYTES: usize = 32;

/// The value of a cell, loading it on first use.
fn cached<T>(
    cell: &OnceCell<Result<T, ConfigError>>,
    load: impl FnOnce() -> Result<T, ConfigError>,
) -> Result<&T, ConfigError> {
    cell.get_or_init(load).as_ref().map_err(Clone::clone)
}

fn error(variable: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        reason: reason.into(),
        unreadable: false,
    }
}

impl Config {
    /// Settings read through `lookup` (a Spin variable, in production), each
    /// when first asked for.
    pub fn new<V: Into<Variable>>(lookup: impl Fn(&'static str) -> V + 'static) -> Config {
        Config {
            lookup: Box::new(move |name| lookup(name).into()),
            db_url: OnceCell::new(),
            redis_url: OnceCell::new(),
            keys: OnceCell::new(),
            jwt_issuer: OnceCell::new(),
            jwt_audience: OnceCell::new(),
            access_ttl_seconds: OnceCell::new(),
            refresh_ttl_seconds: OnceCell::new(),
            refresh_reuse_grace_seconds: OnceCell::new(),
            bcrypt_cost: OnceCell::new(),
            max_active_sessions: OnceCell::new(),
            default_phone_region: OnceCell::new(),
            sms_countries: OnceCell::new(),
            trusted_proxy: OnceCell::new(),
            cookie_mode: OnceCell::new(),
            cors_allowed_origins: OnceCell::new(),
            limits: OnceCell::new(),
            retention_days: OnceCell::new(),
            outbox_retry_seconds: OnceCell::new(),
            otp: OnceCell::new(),
            sms_gateway: OnceCell::new(),
            email: OnceCell::new(),
            email_gateway: OnceCell::new(),
            mfa: OnceCell::new(),
            mfa_key: OnceCell::new(),
            otp_key: OnceCell::new(),
            refresh_key: OnceCell::new(),
        }
    }

    /// Reads and checks every setting (readiness): the first bad one.
    pub fn check_all(&self) -> Result<(), ConfigError> {
        self.db_url()?;
        self.redis_url()?;
        self.keys()?;
        self.jwt_issuer()?;
        self.jwt_audience()?;
        self.access_ttl_seconds()?;
        self.refresh_ttl_seconds()?;
        self.refresh_reuse_grace_seconds()?;
        self.bcrypt_cost()?;
        self.max_active_sessions()?;
        self.default_phone_region()?;
        self.sms_countries()?;
        self.trusted_proxy()?;
        self.cookie_mode()?;
        self.cors_allowed_origins()?;
        self.limits()?;
        self.retention_days()?;
        self.outbox_retry_seconds()?;
        self.otp()?;
        self.sms_gateway()?;
        self.email()?;
        self.email_gateway()?;
        self.mfa()?;
        // mfa_encryption_key only where it is needed: readiness checks it
        // when a role requires a second factor or someone has one.
        self.otp_key()?;
        Ok(())
    }

    fn text(&self, name: &'static str) -> Result<String, ConfigError> {
        self.optional(name)?
            .ok_or_else(|| error(name, "is not set"))
    }

    /// A variable that may be empty; one the host could not read is an
    /// error, never "not set".
    fn optional(&self, name: &'static str) -> Result<Option<String>, ConfigError> {
        match (self.lookup)(name) {
            Variable::Set(v) => Ok(Some(v.trim().to_string()).filter(|v| !v.is_empty())),
            Variable::NotSet => Ok(None),
            Variable::Unreadable(why) => Err(ConfigError {
                variable: name,
                reason: format!("cannot be read ({why})"),
                unreadable: true,
            }),
        }
    }

    fn number(&self, name: &'static str, min: u32, max: u32) -> Result<u32, ConfigError> {
        match self.text(name)?.parse::<u32>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(error(
                name,
                format!("must be a whole number from {min} to {max}"),
            )),
        }
    }

    fn flag(&self, name: &'static str) -> Result<bool, ConfigError> {
        match self.optional(name)?.unwrap_or_default().as_str() {
            "" | "false" | "0" | "no" => Ok(false),
            "true" | "1" | "yes" => Ok(true),
            _ => Err(error(name, "must be true or false")),
        }
    }

    pub fn db_url(&self) -> Result<&Secret<String>, ConfigError> {
        cached(&self.db_url, || self.text("db_url").map(Secret::new))
    }

    pub fn redis_url(&self) -> Result<&Secret<String>, ConfigError> {
        cached(&self.redis_url, || self.text("redis_url").map(Secret::new))
    }

    /// How access tokens are signed and verified (HS256 or EdDSA).
    pub fn keys(&self) -> Result<&TokenKeys, ConfigError> {
        cached(&self.keys, || {
            let jwt_secret = self.text("jwt_secret")?.into_bytes();
            if jwt_secret.len() < JWT_SECRET_MIN_BYTES {
                return Err(error(
                    "jwt_secret",
                    format!("must be at least {JWT_SECRET_MIN_BYTES} bytes"),
                ));
            }
            match self.text("jwt_algorithm")?.as_str() {
                "HS256" => Ok(TokenKeys::hs256(&jwt_secret)),
                "EdDSA" => {
                    let private = self.optional("jwt_private_key")?.ok_or_else(|| {
                        error("jwt_private_key", "is required when jwt_algorithm is EdDSA")
                    })?;
                    TokenKeys::eddsa(
                        &private,
                        self.optional("jwt_retiring_public_key")?.as_deref(),
                    )
                    .map_err(|(variable, reason)| error(variable, reason))
                }
                _ => Err(error("jwt_algorithm", "must be HS256 or EdDSA")),
            }
        })
    }

    pub fn jwt_issuer(&self) -> Result<&str, ConfigError> {
        cached(&self.jwt_issuer, || self.text("jwt_issuer")).map(String::as_str)
    }

    pub fn jwt_audience(&self) -> Result<&str, ConfigError> {
        cached(&self.jwt_audience, || self.text("jwt_audience")).map(String::as_str)
    }

    pub fn access_ttl_seconds(&self) -> Result<u32, ConfigError> {
        cached(&self.access_ttl_seconds, || {
            self.number("access_ttl_seconds", 60, 86_400)
        })
        .copied()
    }

    pub fn refresh_ttl_seconds(&self) -> Result<u32, ConfigError> {
        cached(&self.refresh_ttl_seconds, || {
            let ttl = self.number("refresh_ttl_seconds", 300, 31_536_000)?;
            if ttl < self.access_ttl_seconds()? {
                return Err(error(
                    "refresh_ttl_seconds",
                    "must not be shorter than access_ttl_seconds",
                ));
            }
            Ok(ttl)
        })
        .copied()
    }

    pub fn refresh_reuse_grace_seconds(&self) -> Result<u32, ConfigError> {
        cached(&self.refresh_reuse_grace_seconds, || {
            self.number("refresh_reuse_grace_seconds", 0, 300)
        })
        .copied()
    }

    pub fn bcrypt_cost(&self) -> Result<u32, ConfigError> {
        cached(&self.bcrypt_cost, || self.number("bcrypt_cost", 4, 31)).copied()
    }

    pub fn max_active_sessions(&self) -> Result<u32, ConfigError> {
        cached(&self.max_active_sessions, || {
            self.number("max_active_sessions", 1, 1000)
        })
        .copied()
    }

    pub fn default_phone_region(&self) -> Result<PhoneRegion, ConfigError> {
        cached(&self.default_phone_region, || {
            self.text("default_phone_region")?
                .parse()
                .map_err(|e| error("default_phone_region", format!("{e}")))
        })
        .copied()
    }

    /// The countries whose mobile numbers get codes by SMS (SPEC §6), as
    /// ISO 3166-1 codes separated by commas (`RU`, `RU,KZ,BY`).
    pub fn sms_countries(&self) -> Result<&[PhoneRegion], ConfigError> {
        cached(&self.sms_countries, || {
            let countries = self
                .text("sms_countries")?
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| {
                    c.parse()
                        .map_err(|e| error("sms_countries", format!("{c}: {e}")))
                })
                .collect::<Result<Vec<PhoneRegion>, ConfigError>>()?;
            if countries.is_empty() {
                return Err(error(
                    "sms_countries",
                    "must name at least one country, such as RU",
                ));
            }
            Ok(countries)
        })
        .map(Vec::as_slice)
    }

    pub fn trusted_proxy(&self) -> Result<&TrustedProxies, ConfigError> {
        cached(&self.trusted_proxy, || {
            TrustedProxies::parse(&self.optional("trusted_proxy")?.unwrap_or_default())
                .map_err(|reason| error("trusted_proxy", reason))
        })
    }

    /// Tokens in cookies for every client, not only those sending `X-Auth-Mode: cookie`.
    pub fn cookie_mode(&self) -> Result<bool, ConfigError> {
        cached(&self.cookie_mode, || self.flag("cookie_mode")).copied()
    }

    /// Origins allowed to call the API from a browser (CORS).
    pub fn cors_allowed_origins(&self) -> Result<&[String], ConfigError> {
        cached(&self.cors_allowed_origins, || {
            let origins = self
                .optional("cors_allowed_origins")?
                .unwrap_or_default()
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_string())
                .filter(|o| !o.is_empty())
                .collect::<Vec<_>>();
            match origins
                .iter()
                .find(|o| !(o.starts_with("https://") || o.starts_with("http://")))
            {
                Some(bad) => Err(error(
                    "cors_allowed_origins",
                    format!("{bad:?} is not an origin like https://app.example.com"),
                )),
                None => Ok(origins),
            }
        })
        .map(Vec::as_slice)
    }

    /// Lockout and rate limits (SPEC §6).
    pub fn limits(&self) -> Result<&Limits, ConfigError> {
        cached(&self.limits, || {
            Ok(Limits {
                login_max_failures: self.number("login_max_failures", 1, 1_000_000)?,
                login_lock_seconds: self.number("login_lock_seconds", 1, 86_400)?,
                login_max_failures_per_hour: self.number(
                    "login_max_failures_per_hour",
                    1,
                    1_000_000,
                )?,
                rate_limit_window_seconds: self.number("rate_limit_window_seconds", 1, 86_400)?,
                login_rate_limit_per_ip: self.number(
                    "login_rate_limit_per_ip",
                    1,
                    1_000_000_000,
                )?,
                register_rate_limit_per_ip: self.number(
                    "register_rate_limit_per_ip",
                    1,
                    1_000_000_000,
                )?,
                availability_rate_limit_per_ip: self.number(
                    "availability_rate_limit_per_ip",
                    1,
                    1_000_000_000,
                )?,
                create_user_rate_limit_per_caller: self.number(
                    "create_user_rate_limit_per_caller",
                    1,
                    1_000_000_000,
                )?,
                otp_sms_per_phone_per_hour: self.number("otp_sms_per_phone_per_hour", 1, 1000)?,
                otp_sms_per_ip_per_hour: self.number(
                    "otp_sms_per_ip_per_hour",
                    1,
                    1_000_000_000,
                )?,
                otp_sms_per_hour: self.number("otp_sms_per_hour", 1, 1_000_000_000)?,
                recovery_per_login_per_hour: self.number("recovery_per_login_per_hour", 1, 1000)?,
                recovery_per_ip_per_hour: self.number(
                    "recovery_per_ip_per_hour",
                    1,
                    1_000_000_000,
                )?,
                email_per_address_per_hour: self.number("email_per_address_per_hour", 1, 1000)?,
                email_per_user_per_hour: self.number("email_per_user_per_hour", 1, 1000)?,
                email_per_hour: self.number("email_per_hour", 1, 1_000_000_000)?,
            })
        })
    }

    /// How long ended sessions and consumed refresh tokens are kept.
    pub fn retention_days(&self) -> Result<u32, ConfigError> {
        cached(&self.retention_days, || {
            self.number("retention_days", 1, 3650)
        })
        .copied()
    }

    pub fn otp(&self) -> Result<&OtpSettings, ConfigError> {
        cached(&self.otp, || {
            let template = |name: &'static str| -> Result<String, ConfigError> {
                let text = self.text(name)?;
                if !text.contains("{code}") {
                    return Err(error(name, "must contain {code}"));
                }
                Ok(text)
            };
            let text_template = template("sms_text_template")?;
            let verify_phone_text_template = template("sms_verify_phone_text_template")?;
            let reauth_text_template = template("sms_reauth_text_template")?;
            let recovery_text_template = template("sms_recovery_text_template")?;
            Ok(OtpSettings {
                ttl_seconds: self.number("otp_ttl_seconds", 1, 3600)?,
                max_attempts: self.number("otp_max_attempts", 1, 20)?,
                resend_seconds: self.number("otp_resend_seconds", 0, 3600)?,
                proof_ttl_seconds: self.number("otp_proof_ttl_seconds", 60, 86_400)?,
                response_floor_ms: self.number("otp_response_floor_ms", 0, 10_000)?,
                text_template,
                verify_phone_text_template,
                reauth_text_template,
                reauth_seconds: self.number("reauth_seconds", 30, 3600)?,
                phone_changed_text: self.text("sms_phone_changed_text")?,
                recovery_text_template,
                password_reset_text: self.text("sms_password_reset_text")?,
                second_factor_changed_text: self.text("sms_second_factor_changed_text")?,
            })
        })
    }

    /// How SMS go out (`sms_gateway`): through a gateway; to the log, in
    /// development (`log`, which `./run.sh` sets: never by default); or not
    /// at all when it is empty (code requests answer 503).
    pub fn sms_gateway(&self) -> Result<&SmsDelivery, ConfigError> {
        cached(&self.sms_gateway, || {
            let Some(kind) = self.optional("sms_gateway")? else {
                return Ok(SmsDelivery::NotConfigured);
            };
            if kind.trim().eq_ignore_ascii_case("log") {
                return Ok(SmsDelivery::Log);
            }
            let kind = GatewayKind::parse(&kind)
                .ok_or_else(|| error("sms_gateway", "must be log, webhook, twilio or smsru"))?;
            let url = self.text("sms_gateway_url")?;
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(error("sms_gateway_url", "must be an http(s) URL"));
            }
            let account = self.optional("sms_gateway_account")?.unwrap_or_default();
            let sender = self.optional("sms_sender")?.unwrap_or_default();
            if kind == GatewayKind::Twilio && (account.is_empty() || sender.is_empty()) {
                let missing = if account.is_empty() {
                    "sms_gateway_account"
                } else {
                    "sms_sender"
                };
                return Err(error(missing, "is required for Twilio"));
            }
            Ok(SmsDelivery::Gateway(Gateway {
                kind,
                url,
                token: Secret::new(self.text("sms_gateway_token")?),
                account,
                sender,
                timeout_ms: self.number("sms_gateway_timeout_ms", 100, 60_000)?,
            }))
        })
    }

    /// Email links and texts (SPEC §6a).
    pub fn email(&self) -> Result<&EmailSettings, ConfigError> {
        cached(&self.email, || {
            let with_link = |name: &'static str| -> Result<String, ConfigError> {
                let text = self.text(name)?;
                if !text.contains("{link}") {
                    return Err(error(name, "must contain {link}"));
                }
                Ok(text)
            };
            let link_base = self.text("email_link_base")?;
            if !(link_base.starts_with("https://") || link_base.starts_with("http://")) {
                return Err(error(
                    "email_link_base",
                    "must be the http(s) URL of the app that opens the links",
                ));
            }
            Ok(EmailSettings {
                link_base,
                verify_link_ttl_seconds: self.number(
                    "email_verify_link_ttl_seconds",
                    60,
                    30 * 86_400,
                )?,
                recovery_link_ttl_seconds: self.number(
                    "email_recovery_link_ttl_seconds",
                    60,
                    86_400,
                )?,
                verify_subject: self.text("email_verify_subject")?,
                verify_text_template: with_link("email_verify_text_template")?,
                recovery_subject: self.text("email_recovery_subject")?,
                recovery_text_template: with_link("email_recovery_text_template")?,
                password_reset_subject: self.text("email_password_reset_subject")?,
                password_reset_text: self.text("email_password_reset_text")?,
                second_factor_changed_subject: self.text("email_second_factor_changed_subject")?,
                second_factor_changed_text: self.text("email_second_factor_changed_text")?,
            })
        })
    }

    /// How emails go out (`email_gateway`): through a gateway; to the log,
    /// in development (`log`, which `./run.sh` sets); or not at all when it
    /// is empty.
    pub fn email_gateway(&self) -> Result<&EmailDelivery, ConfigError> {
        cached(&self.email_gateway, || {
            let Some(kind) = self.optional("email_gateway")? else {
                return Ok(EmailDelivery::NotConfigured);
            };
            if kind.trim().eq_ignore_ascii_case("log") {
                return Ok(EmailDelivery::Log);
            }
            let kind = EmailGatewayKind::parse(&kind).ok_or_else(|| {
                error("email_gateway", "must be log, webhook, postmark or mailgun")
            })?;
            let url = self.text("email_gateway_url")?;
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(error("email_gateway_url", "must be an http(s) URL"));
            }
            let domain = self.optional("email_gateway_domain")?.unwrap_or_default();
            if kind == EmailGatewayKind::Mailgun && domain.is_empty() {
                return Err(error("email_gateway_domain", "is required for Mailgun"));
            }
            let from = self.optional("email_from")?.unwrap_or_default();
            if kind != EmailGatewayKind::Webhook && from.is_empty() {
                return Err(error("email_from", "is required for Postmark and Mailgun"));
            }
            Ok(EmailDelivery::Gateway(EmailGateway {
                kind,
                url,
                token: Secret::new(self.text("email_gateway_token")?),
                domain,
                from,
                timeout_ms: self.number("email_gateway_timeout_ms", 100, 60_000)?,
            }))
        })
    }

    /// The second factor's settings (SPEC §6a).
    pub fn mfa(&self) -> Result<&MfaSettings, ConfigError> {
        cached(&self.mfa, || {
            let required_roles = self
                .optional("mfa_required_roles")?
                .unwrap_or_default()
                .split(',')
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())
                .collect();
            Ok(MfaSettings {
                required_roles,
                issuer: self.text("mfa_issuer")?,
                token_ttl_seconds: self.number("mfa_token_ttl_seconds", 30, 900)?,
            })
        })
    }

    /// The AES-256-GCM key TOTP secrets are sealed with
    /// (`mfa_encryption_key`: 32 bytes, as base64 or 64 hex digits).
    pub fn mfa_key(&self) -> Result<&Secret<[u8; 32]>, ConfigError> {
        cached(&self.mfa_key, || {
            let raw = self.optional("mfa_encryption_key")?.ok_or_else(|| {
                error(
                    "mfa_encryption_key",
                    "is not set (32 random bytes as base64, e.g. `head -c 32 /dev/urandom | base64`)",
                )
            })?;
            let bytes = if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
                (0..32)
                    .map(|i| u8::from_str_radix(&raw[2 * i..2 * i + 2], 16).unwrap_or(0))
                    .collect()
            } else {
                base64::engine::general_purpose::STANDARD
                    .decode(raw.as_bytes())
                    .unwrap_or_default()
            };
            let key: [u8; 32] = bytes.try_into().map_err(|_| {
                error(
                    "mfa_encryption_key",
                    "must be 32 bytes: base64 (44 characters) or 64 hex digits",
                )
            })?;
            Ok(Secret::new(key))
        })
    }

    /// The key code digests are made with (from `jwt_secret`, which every
    /// deployment has and keeps secret).
    pub fn otp_key(&self) -> Result<&Secret<Vec<u8>>, ConfigError> {
        cached(&self.otp_key, || {
            let secret = self.text("jwt_secret")?;
            if secret.len() < JWT_SECRET_MIN_BYTES {
                return Err(error(
                    "jwt_secret",
                    format!("must be at least {JWT_SECRET_MIN_BYTES} bytes"),
                ));
            }
            Ok(Secret::new(secret.into_bytes()))
        })
    }

    /// The key refresh tokens are signed with (tokens.rs), from `jwt_secret`:
    /// rotating that secret ends every session at its next refresh.
    pub fn refresh_key(&self) -> Result<&Secret<[u8; 32]>, ConfigError> {
        cached(&self.refresh_key, || {
            Ok(crate::core::tokens::refresh_key(self.otp_key()?.expose()))
        })
    }

    /// How long an event may stay unpublished before a registration announces it again.
    pub fn outbox_retry_seconds(&self) -> Result<u32, ConfigError> {
        cached(&self.outbox_retry_seconds, || {
            self.number("outbox_retry_seconds", 0, 86_400)
        })
        .copied()
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
            ("create_user_rate_limit_per_caller", "30".to_string()),
            ("retention_days", "30".to_string()),
            ("outbox_retry_seconds", "30".to_string()),
            ("otp_ttl_seconds", "300".to_string()),
            ("otp_max_attempts", "5".to_string()),
            ("otp_resend_seconds", "60".to_string()),
            ("otp_proof_ttl_seconds", "600".to_string()),
            ("otp_sms_per_phone_per_hour", "5".to_string()),
            ("otp_sms_per_ip_per_hour", "20".to_string()),
            ("otp_sms_per_hour", "1000".to_string()),
            ("sms_countries", "RU".to_string()),
            ("otp_response_floor_ms", "800".to_string()),
            ("sms_text_template", "Код {code}".to_string()),
            ("reauth_seconds", "300".to_string()),
            ("sms_verify_phone_text_template", "Код {code}".to_string()),
            ("sms_reauth_text_template", "Код {code}".to_string()),
            (
                "sms_phone_changed_text",
                "Номер сменён на {phone}".to_string(),
            ),
            ("sms_gateway", "twilio".to_string()),
            ("sms_gateway_url", "https://api.twilio.com".to_string()),
            ("sms_gateway_token", "t".to_string()),
            ("sms_gateway_account", "AC1".to_string()),
            ("sms_sender", "+15005550006".to_string()),
            ("sms_gateway_timeout_ms", "5000".to_string()),
            ("sms_recovery_text_template", "Код {code}".to_string()),
            ("sms_password_reset_text", "Пароль сброшен".to_string()),
            ("recovery_per_login_per_hour", "5".to_string()),
            ("recovery_per_ip_per_hour", "20".to_string()),
            ("email_per_address_per_hour", "5".to_string()),
            ("email_per_user_per_hour", "10".to_string()),
            ("email_per_hour", "1000".to_string()),
            ("email_gateway", "mailgun".to_string()),
            ("email_gateway_url", "https://mail.example".to_string()),
            ("email_gateway_token", "k".to_string()),
            ("email_gateway_domain", "mg.example.com".to_string()),
            ("email_from", "no-reply@example.com".to_string()),
            ("email_gateway_timeout_ms", "5000".to_string()),
            ("email_link_base", "https://app.example".to_string()),
            ("email_verify_link_ttl_seconds", "86400".to_string()),
            ("email_recovery_link_ttl_seconds", "1800".to_string()),
            ("email_verify_subject", "Подтвердите".to_string()),
            ("email_verify_text_template", "{link}".to_string()),
            ("email_recovery_subject", "Сброс".to_string()),
            ("email_recovery_text_template", "{link}".to_string()),
            ("email_password_reset_subject", "Сброшен".to_string()),
            ("email_password_reset_text", "Сброшен".to_string()),
            (
                "sms_second_factor_changed_text",
                "Второй фактор {change}".to_string(),
            ),
            (
                "email_second_factor_changed_subject",
                "Второй фактор".to_string(),
            ),
            (
                "email_second_factor_changed_text",
                "Второй фактор {change}".to_string(),
            ),
            (
                "mfa_encryption_key",
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string(),
            ),
            ("mfa_required_roles", "superadmin, manager".to_string()),
            ("mfa_issuer", "Logistics".to_string()),
            ("mfa_token_ttl_seconds", "300".to_string()),
        ])
    }

    #[test]
    fn a_variable_the_host_cannot_read_is_an_error_never_not_set() {
        let vars = good();
        let config = Config::new(move |name| match name {
            "trusted_proxy" => Variable::Unreadable("provider: connection refused".into()),
            _ => vars.get(name).cloned().into(),
        });
        let e = config.trusted_proxy().unwrap_err();
        assert_eq!(e.variable, "trusted_proxy");
        assert!(e.unreadable && e.reason.contains("cannot be read"), "{e}");
        assert_eq!(config.check_all().unwrap_err().variable, "trusted_proxy");
    }

    #[test]
    fn every_variable_read_is_listed_and_declared_in_the_manifest() {
        use std::cell::RefCell;
        use std::rc::Rc;
        let read = Rc::new(RefCell::new(Vec::new()));
        use ed25519_dalek::pkcs8::{spki::der::pem::LineEnding, EncodePrivateKey};
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let mut vars = good();
        vars.insert("jwt_algorithm", "EdDSA".into());
        vars.insert(
            "jwt_private_key",
            key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
        );
        let seen = read.clone();
        let config = Config::new(move |name| {
            seen.borrow_mut().push(name);
            vars.get(name).cloned()
        });
        let _ = config.check_all();
        let _ = config.keys();
        // Read where a second factor may be needed (readiness says when).
        let _ = config.mfa_key();
        let mut read = read.borrow().clone();
        read.sort();
        read.dedup();
        for name in &read {
            assert!(
                VARIABLES.contains(name),
                "{name} is read but not in VARIABLES"
            );
        }
        let manifest = include_str!("../../spin.toml");
        let section = manifest
            .split("[variables]")
            .nth(1)
            .and_then(|rest| rest.split("\n[").next())
            .expect("spin.toml has [variables]");
        for name in VARIABLES {
            assert!(
                section.lines().any(|l| l.starts_with(&format!("{name} ="))),
                "{name} is not declared in spin.toml"
            );
        }
        // Every listed name is one `Config` reads (EdDSA reads the keys).
        for name in VARIABLES {
            assert!(read.contains(name), "{name} is listed but never read");
        }
    }

    #[test]
    fn the_second_factor_key_is_32_bytes_as_base64_or_hex() {
        let mut vars = good();
        let config = load(&vars).unwrap();
        assert_eq!(config.mfa_key().unwrap().expose()[31], 31);
        assert!(config.mfa().unwrap().required_for(&["manager".to_string()]));
        assert!(!config.mfa().unwrap().required_for(&["driver".to_string()]));
        vars.insert("mfa_encryption_key", "ab".repeat(32));
        assert_eq!(load(&vars).unwrap().mfa_key().unwrap().expose()[0], 0xab);
        for bad in ["", "c2hvcnQ=", "zz"] {
            vars.insert("mfa_encryption_key", bad.to_string());
            let e = load(&vars).unwrap().mfa_key().unwrap_err();
            assert_eq!(e.variable, "mfa_encryption_key", "{bad}");
        }
        vars.insert("mfa_required_roles", " ".to_string());
        assert!(load(&vars)
            .unwrap()
            .mfa()
            .unwrap()
            .required_roles
            .is_empty());
    }

    fn load(vars: &HashMap<&'static str, String>) -> Result<Config, ConfigError> {
        let vars = vars.clone();
        let config = Config::new(move |name| vars.get(name).cloned());
        config.check_all().map(|()| config)
    }

    #[test]
    fn defaults_of_the_manifest_load() {
        let c = load(&good()).unwrap();
        assert_eq!(c.bcrypt_cost(), Ok(12));
        assert_eq!(c.trusted_proxy(), Ok(&TrustedProxies::None));
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
    fn a_setting_is_read_when_first_asked_for_and_only_once() {
        use std::cell::RefCell;
        use std::rc::Rc;
        let vars = good();
        let asked = Rc::new(RefCell::new(Vec::new()));
        let log = asked.clone();
        let config = Config::new(move |name| {
            log.borrow_mut().push(name);
            vars.get(name).cloned()
        });
        assert!(asked.borrow().is_empty(), "nothing is read up front");
        assert_eq!(config.jwt_issuer(), Ok("auth"));
        assert_eq!(config.jwt_issuer(), Ok("auth"));
        assert_eq!(*asked.borrow(), vec!["jwt_issuer"]);
    }

    #[test]
    fn a_bad_setting_fails_only_the_requests_that_need_it() {
        let mut vars = good();
        vars.insert("bcrypt_cost", "twelve".into());
        let config = Config::new(move |name| vars.get(name).cloned());
        assert_eq!(config.jwt_issuer(), Ok("auth"));
        assert_eq!(config.bcrypt_cost().unwrap_err().variable, "bcrypt_cost");
        assert_eq!(config.check_all().unwrap_err().variable, "bcrypt_cost");
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let c = load(&good()).unwrap();
        assert!(!format!("{c:?}").contains(&"x".repeat(32)));
    }
}
