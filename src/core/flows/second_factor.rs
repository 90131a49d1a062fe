//! The second factor (SPEC §6a): enrolling a TOTP app (`POST
//! /auth/mfa/totp`, `POST /auth/mfa/totp/confirm`), turning it off (`DELETE
//! /auth/mfa/totp`), and the second step of a sign-in (`POST
//! /auth/login/mfa`) that a password or a login code leads to for a user
//! who has one.

use super::account::{confirm_account, refused, AccountConfirmation};
use super::fields::*;
use super::recovery;
use super::*;
use crate::core::config::Config;
use crate::core::guard::Principal;
use crate::core::identity::SecondLogin;
use crate::core::ports::{
    AccountProof, Channels, ClientInfo, EnrolmentStarted, MeCache, NewSession, Outbound,
    PendingChallenge, Revocations, SecondFactorChallenged, SecondFactorCompleted, SecondStep,
    Store, Throttle, TotpConfirmed, TotpDisabled, TotpState,
};
use crate::core::problem::{ApiError, FieldError};
use crate::core::secret::Secret;
use crate::core::totp::{qr_svg, RecoveryCode, TotpSecret};
use serde_json::{json, Value};

/// What a first factor gives a user with a second factor: no tokens, a
/// short-lived one-use `mfa_token` for `POST /auth/login/mfa`.
pub struct SecondFactorChallenge {
    pub mfa_token: Secret<String>,
    pub expires_in: u32,
}

impl std::fmt::Debug for SecondFactorChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecondFactorChallenge([redacted])")
    }
}

impl SecondFactorChallenge {
    /// The answer's body: `{mfa_required, mfa_token, methods, expires_in}`.
    pub fn to_json(&self) -> Value {
        json!({
            "mfa_required": true,
            "mfa_token": self.mfa_token.expose(),
            "methods": ["totp", "recovery_code"],
            "expires_in": self.expires_in,
        })
    }
}

/// What signing in with a first factor gives.
#[derive(Debug)]
pub enum SignedIn {
    Tokens(TokenPair),
    SecondFactor(SecondFactorChallenge),
}

/// A new challenge's token (256 random bits) and its hash, for a first
/// factor that found a second one on.
pub(super) fn new_challenge() -> Result<RefreshToken, ApiError> {
    RefreshToken::generate().map_err(|e| ApiError::internal("mfa.challenge_token", e))
}

/// After a right password of a user with a second factor: the challenge
/// instead of a session.
pub(super) async fn challenge_after_password(
    config: &Config,
    store: &mut impl Store,
    user_id: &str,
    checked_hash: &str,
) -> Result<SecondFactorChallenge, ApiError> {
    let ttl = config.mfa()?.token_ttl_seconds;
    let token = new_challenge()?;
    match store
        .challenge_second_factor(user_id, checked_hash, &token.hash, ttl)
        .await?
    {
        SecondFactorChallenged::Challenged => Ok(SecondFactorChallenge {
            mfa_token: token.token,
            expires_in: ttl,
        }),
        // Deactivated, or the password changed, while it was checked.
        SecondFactorChallenged::UserInactive | SecondFactorChallenged::CredentialsChanged => {
            Err(ApiError::InvalidCredentials)
        }
    }
}

/// The second factor as typed: a TOTP code, or a recovery code.
#[derive(Debug)]
pub enum SecondAnswer {
    Code(Secret<String>),
    RecoveryCode(RecoveryCode),
}

fn second_answer(f: &mut Fields<'_>) -> Option<SecondAnswer> {
    let code = f.optional_text("code");
    let recovery = f.optional_text("recovery_code");
    match (code, recovery) {
        (Some(_), Some(_)) => {
            f.fail("recovery_code", "give code or recovery_code, not both");
            None
        }
        (Some(code), None) => {
            if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
                Some(SecondAnswer::Code(Secret::new(code.to_string())))
            } else {
                f.fail("code", "must be the 6 digits your authenticator app shows");
                None
            }
        }
        (None, Some(raw)) => match RecoveryCode::parse(raw) {
            Some(code) => Some(SecondAnswer::RecoveryCode(code)),
            None => {
                f.fail("recovery_code", "is not one of your recovery codes");
                None
            }
        },
        (None, None) => {
            f.fail("code", "is required (or recovery_code)");
            None
        }
    }
}

/// `POST /auth/login/mfa`: `{mfa_token, code | recovery_code}`.
#[derive(Debug)]
pub struct SecondStepRequest {
    pub mfa_token: Secret<String>,
    pub answer: SecondAnswer,
}

impl SecondStepRequest {
    pub fn parse(body: &Value) -> Result<SecondStepRequest, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let token = f.text("mfa_token");
        if token.is_some_and(|t| !tokens::is_opaque_token(t)) {
            f.fail("mfa_token", "is not a token this service gave");
        }
        let answer = second_answer(&mut f);
        let all = (|| {
            Some(SecondStepRequest {
                mfa_token: Secret::new(token?.to_string()),
                answer: answer?,
            })
        })();
        f.finish(all)
    }
}

/// `DELETE /auth/mfa/totp`: a fresh proof of the account and a code.
#[derive(Debug)]
pub struct Removal {
    pub confirmation: AccountConfirmation,
    pub answer: SecondAnswer,
}

impl Removal {
    pub fn parse(body: &Value) -> Result<Removal, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let confirmation = AccountConfirmation::parse(&mut f);
        let answer = second_answer(&mut f);
        let all = (|| {
            Some(Removal {
                confirmation: confirmation?,
                answer: answer?,
            })
        })();
        f.finish(all)
    }
}

/// `POST /auth/mfa/totp`: a fresh proof of the account.
pub fn parse_enrolment(body: &Value) -> Result<AccountConfirmation, Vec<FieldError>> {
    let mut f = Fields::of(body)?;
    let confirmation = AccountConfirmation::parse(&mut f);
    f.finish(confirmation)
}

/// `POST /auth/mfa/totp/confirm`: `{code}`.
pub fn parse_confirmation(body: &Value) -> Result<Secret<String>, Vec<FieldError>> {
    let mut f = Fields::of(body)?;
    let code = match second_answer(&mut f) {
        Some(SecondAnswer::Code(code)) => Some(code),
        Some(SecondAnswer::RecoveryCode(_)) => {
            f.fail(
                "code",
                "is required: the 6 digits your authenticator app shows",
            );
            None
        }
        None => None,
    };
    f.finish(code)
}

fn now_unix() -> u64 {
    super::now_unix()
}

/// The time step a code matches for this sealed secret, or `None`.
fn matching_step(
    config: &Config,
    sealed_hex: &str,
    user_id: &str,
    code: &Secret<String>,
) -> Result<Option<i64>, ApiError> {
    let sealed =
        hex_bytes(sealed_hex).ok_or_else(|| ApiError::internal("mfa.sealed_secret", "not hex"))?;
    let secret = TotpSecret::open(&sealed, config.mfa_key()?.expose(), user_id)
        .map_err(|e| ApiError::internal("mfa.open_secret", e))?;
    Ok(secret
        .matching_step(code.expose(), now_unix())
        .map(|step| step as i64))
}

/// Tells the account's verified channels that its second factor was
/// turned on or off (`change`), so that a thief's enrolment does not go
/// unseen. Best effort.
async fn tell_of_change(
    config: &Config,
    outbound: &mut impl Outbound,
    channels: &Channels,
    change: &str,
) {
    let (Ok(otp), Ok(email)) = (config.otp(), config.email()) else {
        return eprintln!("second-factor notice not sent: its texts are unreadable");
    };
    let sms = otp.second_factor_changed_text.replace("{change}", change);
    let text = email.second_factor_changed_text.replace("{change}", change);
    let notice = recovery::Notice {
        what: "second-factor",
        sms: &sms,
        subject: &email.second_factor_changed_subject,
        email: &text,
    };
    recovery::tell_channels(
        config,
        outbound,
        channels.notify_phone.as_deref(),
        &channels.notify_emails,
        &notice,
    )
    .await;
}

/// Whether a sealed secret (hex) opens with `key` for its user
/// (readiness).
pub(super) fn opens_with(sealed_hex: &str, key: &[u8; 32], user_id: &str) -> bool {
    hex_bytes(sealed_hex).is_some_and(|sealed| TotpSecret::open(&sealed, key, user_id).is_ok())
}

fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    hex.len()
        .is_multiple_of(2)
        .then(|| {
            (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
                .collect()
        })
        .flatten()
}

/// A right second factor takes its counted try back.
async fn forgive_second_factor(
    cache: &mut impl Throttle,
    limits: &crate::core::abuse::Limits,
    user_id: &str,
    ip: Option<&str>,
) {
    let forgiven = abuse::second_factor_succeeded(limits, user_id, ip);
    if let Err(e) = cache.forgive(&forgiven).await {
        eprintln!("second-factor try counters not cleared (Redis): {e}");
    }
}

/// The second step of a sign-in. Tries are counted before the code is
/// checked and lock as logins do (per user and client IP), and per user
/// per hour and per day (`SECOND_FACTOR_FAILURES_PER_*`), on counters of
/// their own; a challenge also dies after `otp_max_attempts` tries. A TOTP time step is accepted once per user; a
/// recovery code once.
pub async fn complete_sign_in(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl Throttle + Revocations),
    request: &SecondStepRequest,
    client: &ClientInfo,
) -> Result<TokenPair, ApiError> {
    let token_hash = tokens::hash_refresh_token(request.mfa_token.expose());
    let PendingChallenge::Pending {
        user_id,
        sealed_secret,
        ..
    } = store.second_factor_challenge(&token_hash).await?
    else {
        return Err(ApiError::SecondStepExpired);
    };
    let ip = client.ip.as_deref();
    let limits = config.limits()?;
    admit(cache, &abuse::second_factor_windows(limits, &user_id, ip)).await?;
    let step = match &request.answer {
        SecondAnswer::Code(code) => match matching_step(config, &sealed_secret, &user_id, code)? {
            Some(step) => SecondStep::Step(step),
            None => SecondStep::Wrong,
        },
        SecondAnswer::RecoveryCode(code) => {
            SecondStep::RecoveryCode(code.digest(config.mfa_key()?.expose(), &user_id))
        }
    };
    let refresh = new_refresh_seed("mfa.refresh_token")?;
    let session = NewSession {
        refresh_seed: &refresh,
        ttl_seconds: config.refresh_ttl_seconds()?,
        max_sessions: config.max_active_sessions()?,
        client,
    };
    let max_attempts = config.otp()?.max_attempts;
    // The session it opens may evict the user's oldest: Redis hears first.
    let completed = ending_sessions(config, store, cache, &user_id, None, async |store| {
        store
            .complete_second_factor(&token_hash, step, max_attempts, &session)
            .await
    })
    .await?;
    let opened = match completed {
        SecondFactorCompleted::Opened(opened) => opened,
        SecondFactorCompleted::Wrong { .. } => return Err(ApiError::InvalidCode),
        SecondFactorCompleted::Invalid => return Err(ApiError::SecondStepExpired),
    };
    forgive_second_factor(cache, limits, &user_id, ip).await;
    if let Some(left) = opened.recovery_codes_left {
        audit::security(SecurityEvent::RecoveryCodeUsed {
            user_id: &user_id,
            left,
        });
    }
    let subject = Subject {
        user_id: &user_id,
        session_id: &opened.session.session_id,
        roles: &opened.session.roles,
        organizations: &opened.session.organizations,
        amr: &opened.amr,
    };
    token_pair(config, &subject, (&refresh, 0), opened.session.seconds_left)
}

/// Starts enrolling a TOTP app: a sensitive change (SPEC §2), so a fresh
/// proof of the account. The secret is sealed before it is stored; the
/// answer is the only place it is ever in the clear: `{secret (base32),
/// otpauth_uri, qr_svg}`. Nothing is on until a code confirms it.
pub async fn enrol(
    config: &Config,
    store: &mut impl Store,
    cache: &mut impl Throttle,
    principal: &Principal,
    confirmation: &AccountConfirmation,
    client: &ClientInfo,
) -> Result<Value, ApiError> {
    // Sealed first: a service that cannot seal spends no proof of the
    // account on it.
    let secret = TotpSecret::generate().map_err(|e| ApiError::internal("mfa.secret", e))?;
    let sealed = secret
        .seal(config.mfa_key()?.expose(), principal.user_id())
        .map_err(|e| ApiError::internal("mfa.seal_secret", e))?;
    let credentials =
        inactive_is_unauthenticated(store.password_credentials(&caller(principal)).await?)?;
    let proof: AccountProof = confirm_account(config, cache, &credentials, confirmation, client)
        .await?
        .ok_or(ApiError::ReauthRequired)?;
    match store
        .start_totp_enrolment(&caller(principal), &proof, &sealed)
        .await?
    {
        EnrolmentStarted::Started => {}
        EnrolmentStarted::AlreadyEnrolled => {
            return Err(ApiError::SecondFactorState {
                reason: "A second factor is on already: turn it off first (DELETE /auth/mfa/totp).",
            })
        }
        EnrolmentStarted::Refused(refusal) => return Err(refused(refusal)),
    }
    // The app shows the account by its login.
    let account = credentials
        .identifiers
        .iter()
        .find(|i| SecondLogin::parse(i).is_ok())
        .map(String::as_str)
        .unwrap_or(principal.user_id());
    let uri = secret.otpauth_uri(&config.mfa()?.issuer, account);
    Ok(json!({
        "secret": secret.base32(),
        "otpauth_uri": uri,
        "qr_svg": qr_svg(&uri),
    }))
}

/// Turns the enrolment on with a code from the app, and gives the ten
/// recovery codes, shown this once (only their keyed digests are kept). The
/// user's other sessions end.
pub async fn confirm(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl MeCache + Revocations + Throttle),
    outbound: &mut impl Outbound,
    principal: &Principal,
    code: &Secret<String>,
    client: &ClientInfo,
) -> Result<Value, ApiError> {
    let user_id = principal.user_id();
    let sealed = match store.totp_of(&caller(principal)).await? {
        TotpState::Found {
            sealed_secret,
            confirmed: false,
            ..
        } => sealed_secret,
        TotpState::Found {
            confirmed: true, ..
        } => {
            return Err(ApiError::SecondFactorState {
                reason: "The second factor is on already.",
            })
        }
        TotpState::None => {
            return Err(ApiError::SecondFactorState {
                reason: "No enrolment is in progress: start one (POST /auth/mfa/totp).",
            })
        }
        TotpState::SessionInactive => return Err(ApiError::InvalidToken),
    };
    let ip = client.ip.as_deref();
    let limits = config.limits()?;
    admit(cache, &abuse::second_factor_windows(limits, user_id, ip)).await?;
    let Some(step) = matching_step(config, &sealed, user_id, code)? else {
        return Err(ApiError::InvalidCode);
    };
    let codes = RecoveryCode::generate_set().map_err(|e| ApiError::internal("mfa.codes", e))?;
    let key = config.mfa_key()?.expose();
    let digests: Vec<[u8; 32]> = codes.iter().map(|c| c.digest(key, user_id)).collect();
    let sealed =
        hex_bytes(&sealed).ok_or_else(|| ApiError::internal("mfa.sealed_secret", "not hex"))?;
    let confirmed = ending_sessions(config, store, cache, user_id, None, async |store| {
        store
            .confirm_totp(&caller(principal), &sealed, step, &digests)
            .await
    })
    .await?;
    let channels = match confirmed {
        TotpConfirmed::Confirmed(channels) => channels,
        // Its step was spent (a replay), or it was replaced meanwhile.
        // Its step was spent, it was replaced or it grew old meanwhile.
        TotpConfirmed::NotStarted => return Err(ApiError::InvalidCode),
        TotpConfirmed::SessionInactive => return Err(ApiError::InvalidToken),
    };
    forgive_second_factor(cache, limits, user_id, ip).await;
    audit::security(SecurityEvent::SecondFactorEnrolled { user_id });
    forget_me(cache, user_id).await;
    tell_of_change(config, outbound, &channels, "включён").await;
    let shown: Vec<&str> = codes.iter().map(RecoveryCode::expose).collect();
    Ok(json!({"recovery_codes": shown}))
}

/// Turns the second factor off: a fresh proof of the account and a current
/// code (or a recovery code), tries counted as at sign-in. The user's other
/// sessions end.
pub async fn remove(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl MeCache + Revocations + Throttle),
    outbound: &mut impl Outbound,
    principal: &Principal,
    request: &Removal,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let user_id = principal.user_id();
    let credentials =
        inactive_is_unauthenticated(store.password_credentials(&caller(principal)).await?)?;
    let proof = confirm_account(config, cache, &credentials, &request.confirmation, client)
        .await?
        .ok_or(ApiError::ReauthRequired)?;
    let ip = client.ip.as_deref();
    let limits = config.limits()?;
    admit(cache, &abuse::second_factor_windows(limits, user_id, ip)).await?;
    let step = match &request.answer {
        SecondAnswer::Code(code) => match store.totp_of(&caller(principal)).await? {
            TotpState::Found {
                sealed_secret,
                confirmed: true,
                ..
            } => match matching_step(config, &sealed_secret, user_id, code)? {
                Some(step) => SecondStep::Step(step),
                None => SecondStep::Wrong,
            },
            TotpState::SessionInactive => return Err(ApiError::InvalidToken),
            TotpState::Found { .. } | TotpState::None => SecondStep::Wrong,
        },
        SecondAnswer::RecoveryCode(code) => {
            SecondStep::RecoveryCode(code.digest(config.mfa_key()?.expose(), user_id))
        }
    };
    let disabled = ending_sessions(config, store, cache, user_id, None, async |store| {
        store.disable_totp(&caller(principal), &proof, step).await
    })
    .await?;
    let channels = match disabled {
        TotpDisabled::Disabled(channels) => channels,
        TotpDisabled::WrongCode => return Err(ApiError::InvalidCode),
        TotpDisabled::NotEnrolled => {
            return Err(ApiError::SecondFactorState {
                reason: "No second factor is on.",
            })
        }
        TotpDisabled::Refused(refusal) => return Err(refused(refusal)),
    };
    forgive_second_factor(cache, limits, user_id, ip).await;
    audit::security(SecurityEvent::SecondFactorRemoved { user_id });
    forget_me(cache, user_id).await;
    tell_of_change(config, outbound, &channels, "выключен").await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";

    #[test]
    fn a_second_step_is_a_code_or_a_recovery_code_never_both() {
        let code =
            SecondStepRequest::parse(&json!({"mfa_token": TOKEN, "code": "123456"})).unwrap();
        assert!(matches!(code.answer, SecondAnswer::Code(ref c) if c.expose() == "123456"));
        let recovery =
            SecondStepRequest::parse(&json!({"mfa_token": TOKEN, "recovery_code": "ABCDE-FGHJK"}))
                .unwrap();
        assert!(
            matches!(recovery.answer, SecondAnswer::RecoveryCode(ref c) if c.expose() == "abcde-fghjk")
        );
        let both = SecondStepRequest::parse(
            &json!({"mfa_token": TOKEN, "code": "123456", "recovery_code": "abcde-fghjk"}),
        )
        .unwrap_err();
        assert_eq!(both[0].field, "recovery_code");
        let neither = SecondStepRequest::parse(&json!({"mfa_token": "short"})).unwrap_err();
        let fields: Vec<&str> = neither.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["mfa_token", "code"]);
    }

    #[test]
    fn a_confirmation_takes_only_an_app_code() {
        assert!(parse_confirmation(&json!({"code": "012345"})).is_ok());
        assert_eq!(
            parse_confirmation(&json!({"recovery_code": "abcde-fghjk"})).unwrap_err()[0].field,
            "code"
        );
        assert_eq!(
            parse_confirmation(&json!({"code": "12345"})).unwrap_err()[0].field,
            "code"
        );
    }

    #[test]
    fn sealed_secrets_travel_as_hex() {
        assert_eq!(hex_bytes("00ff10"), Some(vec![0, 255, 16]));
        assert_eq!(hex_bytes("0"), None);
        assert_eq!(hex_bytes("zz"), None);
    }
}
