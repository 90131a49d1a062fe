//! Phone codes (`POST /auth/otp/request`, `POST /auth/otp/verify`): a code
//! by SMS signs in, or buys a one-time proof that registration without a
//! password, or adding a phone, accepts.

use super::fields::*;
use super::second_factor::{self, SecondFactorChallenge};
use super::*;
use crate::core::abuse::{Forgiveness, Limits};
use crate::core::config::{Config, SmsDelivery};
use crate::core::guard::Principal;
use crate::core::identity::{Phone, PhoneRegion};
use crate::core::otp::{Code, Purpose};
use crate::core::ports::{
    ClientInfo, CodeIssued, CodeTried, NewSession, Outbound, OutboundError, ReauthCodeIssued,
    Revocations, Store, Throttle,
};
use crate::core::problem::{ApiError, FieldError};
use crate::core::secret::Secret;
use crate::core::sms::{code_text, Sms};
use crate::core::tokens::{RefreshToken, Subject};
use serde_json::{json, Value};

/// `POST /auth/otp/request`: `{phone, purpose}`, or `{purpose: "reauth"}`.
#[derive(Debug)]
pub enum CodeRequest {
    /// `login`, `register`, `verify_phone`: a code to the phone given.
    ToPhone { phone: Phone, purpose: Purpose },
    /// `reauth`: a code to the signed-in user's own verified phone, which
    /// the database knows.
    Reauth,
}

/// `POST /auth/otp/verify`: `{phone, purpose, code}`, or `{purpose:
/// "reauth", code}`.
#[derive(Debug)]
pub enum CodeVerification {
    ToPhone {
        phone: Phone,
        purpose: Purpose,
        code: Code,
    },
    Reauth {
        code: Code,
    },
}

/// The purpose, and the phone unless the purpose is `reauth` (whose code
/// goes to the account's own verified phone: naming one is refused, so
/// nobody believes it went there).
fn phone_and_purpose(
    f: &mut Fields<'_>,
    region: PhoneRegion,
) -> (Option<Option<Phone>>, Option<Purpose>) {
    let purpose = match f.text("purpose") {
        Some(raw) => {
            let purpose = Purpose::parse(raw.trim());
            if purpose.is_none() {
                f.fail("purpose", "must be login, register, verify_phone or reauth");
            }
            purpose
        }
        None => None,
    };
    if purpose == Some(Purpose::Reauth) {
        if f.optional_text("phone").is_some() {
            f.fail(
                "phone",
                "is not given with purpose reauth: the code goes to your verified phone",
            );
            return (None, purpose);
        }
        return (Some(None), purpose);
    }
    let raw_phone = f.text("phone");
    let phone = f.parsed("phone", raw_phone, |s| Phone::parse(s, region));
    (phone.map(Some), purpose)
}

impl CodeRequest {
    pub fn parse(body: &Value, region: PhoneRegion) -> Result<CodeRequest, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let (phone, purpose) = phone_and_purpose(&mut f, region);
        let all = (|| {
            Some(match (phone?, purpose?) {
                (Some(phone), purpose) => CodeRequest::ToPhone { phone, purpose },
                (None, _) => CodeRequest::Reauth,
            })
        })();
        f.finish(all)
    }

    pub fn purpose(&self) -> Purpose {
        match self {
            CodeRequest::ToPhone { purpose, .. } => *purpose,
            CodeRequest::Reauth => Purpose::Reauth,
        }
    }
}

impl CodeVerification {
    pub fn parse(body: &Value, region: PhoneRegion) -> Result<CodeVerification, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let (phone, purpose) = phone_and_purpose(&mut f, region);
        let code = f.text("code").and_then(|raw| {
            let code = Code::parse(raw);
            if code.is_none() {
                f.fail("code", "must be the 6 digits of the SMS");
            }
            code
        });
        let all = (|| {
            Some(match (phone?, purpose?, code?) {
                (Some(phone), purpose, code) => CodeVerification::ToPhone {
                    phone,
                    purpose,
                    code,
                },
                (None, _, code) => CodeVerification::Reauth { code },
            })
        })();
        f.finish(all)
    }

    pub fn purpose(&self) -> Purpose {
        match self {
            CodeVerification::ToPhone { purpose, .. } => *purpose,
            CodeVerification::Reauth { .. } => Purpose::Reauth,
        }
    }
}

/// What the throttle counts a signed-in user's reauth codes under: their
/// id, as a phone's codes are counted under the phone.
fn reauth_subject(principal: &Principal) -> String {
    format!("user:{}", principal.user_id())
}

/// What a phone's code requests and tries are counted under: the phone for
/// `login` (its owner's lockout), and apart from it for every other
/// purpose — a `register` guesser or a squatter asking `verify_phone`
/// codes for someone's phone must never lock its owner out of signing in,
/// nor out of proving their own phone (a `verify_phone` code is counted
/// per phone and asker).
fn counted_subject(purpose: Purpose, phone: &str, user: Option<&Principal>) -> String {
    match (purpose, user) {
        (Purpose::Login, _) => phone.to_string(),
        (Purpose::VerifyPhone, Some(user)) => format!("verify_phone:{phone}:{}", user.user_id()),
        (purpose, _) => format!("{}:{phone}", purpose.as_str()),
    }
}

/// Stores a new code and sends it by SMS when the phone is one this purpose
/// sends to. The answer is the same 202 whether or not it was sent, and
/// takes at least `otp_response_floor_ms`, so neither tells whether the
/// phone belongs to someone. `verify_phone` and `reauth` codes are asked
/// for by a signed-in user (`signed_in`) and bound to them.
pub async fn request_code(
    config: &Config,
    store: &mut impl Store,
    throttle: &mut impl Throttle,
    outbound: &mut impl Outbound,
    request: &CodeRequest,
    signed_in: Option<&Principal>,
    client: &ClientInfo,
) -> Result<Value, ApiError> {
    let started = std::time::Instant::now();
    let settings = config.otp()?;
    match config.sms_gateway()? {
        // Nothing is stored, counted or logged: no SMS can go out.
        SmsDelivery::NotConfigured => {
            return Err(ApiError::Unavailable {
                dependency: "sms gateway: not configured (sms_gateway)",
                cause: None,
            })
        }
        SmsDelivery::Log => announce_development_mode(),
        SmsDelivery::Gateway(_) => {}
    }
    let purpose = request.purpose();
    let user = match (purpose.needs_sign_in(), signed_in) {
        (true, None) => return Err(ApiError::Unauthenticated),
        (true, Some(principal)) => Some(principal),
        (false, _) => None,
    };
    let (subject, counted_as) = match (request, user) {
        (CodeRequest::ToPhone { phone, .. }, user) => {
            let countries = config.sms_countries()?;
            if !phone.takes_codes_in(countries) {
                let names: Vec<String> = countries.iter().map(|c| c.to_string()).collect();
                return Err(ApiError::Validation(vec![FieldError::new(
                    "phone",
                    format!(
                        "codes are sent only to mobile numbers of {}",
                        names.join(", ")
                    ),
                )]));
            }
            (
                phone.as_str().to_string(),
                counted_subject(purpose, phone.as_str(), user),
            )
        }
        (CodeRequest::Reauth, Some(principal)) => {
            let subject = reauth_subject(principal);
            (subject.clone(), subject)
        }
        (CodeRequest::Reauth, None) => return Err(ApiError::Unauthenticated),
    };
    let limits = config.limits()?;
    admit(
        throttle,
        &abuse::code_request_windows(limits, purpose.as_str(), &counted_as, client.ip.as_deref()),
    )
    .await?;
    within_sms_budget(throttle, limits).await?;
    let sent = issue_and_send(config, store, outbound, request, user, &subject).await;
    if !matches!(sent, Ok(true)) {
        // The budget counts SMS that went out: this one did not.
        let give_back = Forgiveness {
            delete: vec![],
            decrement: vec![abuse::sms_budget_window(limits).key],
        };
        if let Err(e) = throttle.forgive(&give_back).await {
            eprintln!("SMS budget not given back (Redis): {e}");
        }
    }
    sent?;
    let elapsed = started.elapsed().as_millis() as u64;
    let floor = u64::from(settings.response_floor_ms);
    if elapsed < floor {
        outbound.pause(floor - elapsed).await;
    }
    Ok(json!({
        "expires_in": settings.ttl_seconds,
        "resend_after": settings.resend_seconds,
    }))
}

/// Stores the code and sends it when the store says the phone is one this
/// purpose sends to: whether an SMS went out.
async fn issue_and_send(
    config: &Config,
    store: &mut impl Store,
    outbound: &mut impl Outbound,
    request: &CodeRequest,
    user: Option<&Principal>,
    subject: &str,
) -> Result<bool, ApiError> {
    let settings = config.otp()?;
    let purpose = request.purpose();
    let code = Code::generate().map_err(|e| ApiError::internal("otp.generate_code", e))?;
    let digest = code.digest(config.otp_key()?.expose(), subject, purpose);
    let issued = match (request, user) {
        (CodeRequest::ToPhone { phone, purpose }, user) => {
            store
                .request_otp(
                    phone.as_str(),
                    purpose.as_str(),
                    user.map(|p| p.user_id()),
                    &digest,
                    settings.ttl_seconds,
                    settings.resend_seconds,
                )
                .await?
        }
        (CodeRequest::Reauth, Some(principal)) => {
            match store
                .request_reauth_code(
                    &caller(principal),
                    &digest,
                    settings.ttl_seconds,
                    settings.resend_seconds,
                )
                .await?
            {
                ReauthCodeIssued::Issued { phone } => CodeIssued::Issued {
                    deliver: true,
                    to: Some(phone),
                },
                ReauthCodeIssued::TooSoon { retry_after } => CodeIssued::TooSoon { retry_after },
                ReauthCodeIssued::NoVerifiedPhone => {
                    return Err(ApiError::Validation(vec![FieldError::new(
                        "purpose",
                        "your account has no verified phone to send a reauth code to: give your current password instead",
                    )]))
                }
                ReauthCodeIssued::SessionInactive => return Err(ApiError::InvalidToken),
            }
        }
        (CodeRequest::Reauth, None) => return Err(ApiError::Unauthenticated),
    };
    let to = match issued {
        CodeIssued::Issued { deliver: false, .. } => return Ok(false),
        CodeIssued::Issued { deliver: true, to } => match (to, request) {
            (Some(to), _) => to,
            (None, CodeRequest::ToPhone { phone, .. }) => phone.as_str().to_string(),
            (None, CodeRequest::Reauth) => {
                return Err(ApiError::internal(
                    "otp.reauth_recipient",
                    "the database named no phone for a reauth code",
                ))
            }
        },
        CodeIssued::TooSoon { retry_after } => {
            return Err(ApiError::TooManyRequests {
                retry_after_seconds: retry_after,
            })
        }
    };
    let text = code_text(
        settings.text_for(purpose),
        code.expose(),
        settings.ttl_seconds,
    );
    if let Err(why) = send_sms(config, outbound, &to, &text).await? {
        // Not sent: the code is withdrawn, so it neither works nor delays
        // the next request.
        eprintln!(
            "SMS gateway did not take a {} message: {why}",
            purpose.as_str()
        );
        if let Err(e) = store.withdraw_otp(&to, purpose.as_str(), &digest).await {
            eprintln!("unsent OTP row not withdrawn: {e:?}");
        }
        return Err(ApiError::Unavailable {
            dependency: "sms gateway",
            cause: None,
        });
    }
    Ok(true)
}

/// Counts the request in the service's hourly SMS budget: past it, 503 until
/// the hour ends, and one security event per hour (whichever instance sees
/// it first).
async fn within_sms_budget(throttle: &mut impl Throttle, limits: &Limits) -> Result<(), ApiError> {
    let window = abuse::sms_budget_window(limits);
    let Verdict::Refused {
        retry_after_seconds,
    } = throttle.hit(std::slice::from_ref(&window)).await?
    else {
        return Ok(());
    };
    let told = format!("{}:told", window.key);
    if throttle.first_in(&told, retry_after_seconds).await? {
        audit::security(SecurityEvent::SmsBudgetSpent {
            limit: window.limit,
            retry_after_seconds,
        });
    }
    Err(ApiError::Unavailable {
        dependency: "sms budget",
        cause: None,
    })
}

/// Sends one SMS through the configured gateway: `Ok(Err(why))` when the
/// gateway did not take it. With no gateway (development mode, announced)
/// the text goes to the log, on purpose (SPEC §6).
pub(super) async fn send_sms(
    config: &Config,
    outbound: &mut impl Outbound,
    to: &str,
    text: &str,
) -> Result<Result<(), String>, ApiError> {
    let sms = Sms { to, text };
    let gateway = match config.sms_gateway()? {
        SmsDelivery::Gateway(gateway) => gateway,
        SmsDelivery::Log => {
            eprintln!("development mode (sms_gateway = log): the SMS to {to} would read: {text}");
            return Ok(Ok(()));
        }
        SmsDelivery::NotConfigured => return Ok(Err("sms_gateway is not configured".into())),
    };
    Ok(
        match outbound
            .post(&gateway.request(&sms), gateway.timeout_ms)
            .await
        {
            Ok(response) if gateway.took(&sms, &response) => Ok(()),
            Ok(response) => Err(format!("answered {}", response.status)),
            Err(OutboundError::TimedOut) => Err("did not answer in time".to_string()),
            Err(OutboundError::Failed(why)) => Err(why),
        },
    )
}

/// Says once per instance (every request, for the WASIp2 build) that codes
/// go to the log: a development mode, chosen explicitly, is never silent
/// (SPEC §6).
fn announce_development_mode() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static ANNOUNCED: AtomicBool = AtomicBool::new(false);
    if !ANNOUNCED.swap(true, Ordering::Relaxed) {
        eprintln!(
            "sms_gateway = log: development mode, codes are written to this log instead of sent"
        );
    }
}

/// What a right code buys.
pub enum Verified {
    /// `login`: a token pair in a new session.
    Tokens(TokenPair),
    /// `register`, `verify_phone`: a one-time proof of the phone.
    PhoneProof {
        proof: Secret<String>,
        expires_in: u32,
    },
    /// `reauth`: a one-time proof of the account, for a sensitive change.
    AccountProof {
        proof: Secret<String>,
        expires_in: u32,
    },
    /// `login` for a user with a second factor: its challenge.
    SecondFactor(SecondFactorChallenge),
}

/// Tries a code. Counted before it is tried, apart from password failures:
/// a (phone, client IP) pair and a phone lock as logins do. A wrong, used
/// or expired code all answer the same 401; so does another user's
/// `verify_phone` or `reauth` code.
pub async fn verify_code(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl Throttle + Revocations),
    request: &CodeVerification,
    signed_in: Option<&Principal>,
    client: &ClientInfo,
) -> Result<Verified, ApiError> {
    let settings = config.otp()?;
    let purpose = request.purpose();
    let user = match (purpose.needs_sign_in(), signed_in) {
        (true, None) => return Err(ApiError::Unauthenticated),
        (true, Some(principal)) => Some(principal),
        (false, _) => None,
    };
    let (subject, counted_as, code) = match (request, user) {
        (CodeVerification::ToPhone { phone, code, .. }, user) => (
            phone.as_str().to_string(),
            counted_subject(purpose, phone.as_str(), user),
            code,
        ),
        (CodeVerification::Reauth { code }, Some(principal)) => {
            let subject = reauth_subject(principal);
            (subject.clone(), subject, code)
        }
        (CodeVerification::Reauth { .. }, None) => return Err(ApiError::Unauthenticated),
    };
    let ip = client.ip.as_deref();
    admit(
        cache,
        &abuse::code_try_windows(config.limits()?, &counted_as, ip),
    )
    .await?;
    let digest = code.digest(config.otp_key()?.expose(), &subject, purpose);
    let verified = match (request, user) {
        (CodeVerification::ToPhone { phone, .. }, _) if purpose == Purpose::Login => {
            let refresh = new_refresh_seed("otp.refresh_token")?;
            let session = NewSession {
                refresh_seed: &refresh,
                ttl_seconds: config.refresh_ttl_seconds()?,
                max_sessions: config.max_active_sessions()?,
                client,
            };
            // For a user with a second factor, the code is the first of two.
            let challenge = second_factor::new_challenge()?;
            let ttl = config.mfa()?.token_ttl_seconds;
            let signed_in = sign_in_with_code(
                config,
                store,
                cache,
                phone.as_str(),
                &digest,
                &session,
                (&challenge.hash, ttl),
            )
            .await?;
            match signed_in {
                ByCode::Opened(opened) => {
                    let subject = Subject {
                        user_id: &opened.user_id,
                        session_id: &opened.session.session_id,
                        roles: &opened.session.roles,
                        organizations: &opened.session.organizations,
                        amr: &["sms".to_string()],
                    };
                    Verified::Tokens(token_pair(
                        config,
                        &subject,
                        (&refresh, 0),
                        opened.session.seconds_left,
                    )?)
                }
                ByCode::SecondFactor => Verified::SecondFactor(SecondFactorChallenge {
                    mfa_token: challenge.token,
                    expires_in: ttl,
                }),
                ByCode::Refused => return Err(ApiError::InvalidCode),
            }
        }
        (CodeVerification::ToPhone { phone, .. }, user) => {
            let proof =
                RefreshToken::generate().map_err(|e| ApiError::internal("otp.proof_token", e))?;
            match store
                .prove_phone(
                    phone.as_str(),
                    purpose.as_str(),
                    user.map(|p| p.user_id()),
                    &digest,
                    settings.max_attempts,
                    &proof.hash,
                    settings.proof_ttl_seconds,
                )
                .await?
            {
                CodeTried::Proven { expires_in } => Verified::PhoneProof {
                    proof: proof.token,
                    expires_in,
                },
                CodeTried::SessionInactive => return Err(ApiError::InvalidToken),
                CodeTried::Wrong { .. }
                | CodeTried::Invalid
                | CodeTried::Opened(_)
                | CodeTried::SecondFactorRequired { .. } => return Err(ApiError::InvalidCode),
            }
        }
        (CodeVerification::Reauth { .. }, Some(principal)) => {
            let proof =
                RefreshToken::generate().map_err(|e| ApiError::internal("otp.proof_token", e))?;
            match store
                .prove_account(
                    &caller(principal),
                    &digest,
                    settings.max_attempts,
                    &proof.hash,
                    settings.reauth_seconds,
                )
                .await?
            {
                CodeTried::Proven { expires_in } => Verified::AccountProof {
                    proof: proof.token,
                    expires_in,
                },
                CodeTried::SessionInactive => return Err(ApiError::InvalidToken),
                CodeTried::Wrong { .. }
                | CodeTried::Invalid
                | CodeTried::Opened(_)
                | CodeTried::SecondFactorRequired { .. } => return Err(ApiError::InvalidCode),
            }
        }
        (CodeVerification::Reauth { .. }, None) => return Err(ApiError::Unauthenticated),
    };
    if let Err(e) = cache.forgive(&abuse::code_succeeded(&counted_as, ip)).await {
        eprintln!("OTP try counters not cleared (Redis): {e}");
    }
    Ok(verified)
}

/// Uses a login code and opens the session in one transaction that records,
/// before it commits, the sessions the new one evicted (as every end of a
/// session is recorded in Redis first). A wrong try is committed too: it
/// counts against the code.
async fn sign_in_with_code<S: Store>(
    config: &Config,
    store: &mut S,
    revocations: &mut impl Revocations,
    phone: &str,
    digest: &[u8; 32],
    session: &NewSession<'_>,
    second_factor: (&[u8; 32], u32),
) -> Result<ByCode, ApiError> {
    let max_attempts = config.otp()?.max_attempts;
    let tried = ending_sessions_of_anyone(config, store, revocations, async |store| {
        store
            .sign_in_with_otp(phone, digest, max_attempts, session, second_factor)
            .await
    })
    .await?;
    Ok(match tried {
        CodeTried::Opened(opened) => ByCode::Opened(opened),
        CodeTried::SecondFactorRequired { .. } => ByCode::SecondFactor,
        CodeTried::Wrong { .. }
        | CodeTried::Invalid
        | CodeTried::Proven { .. }
        | CodeTried::SessionInactive => ByCode::Refused,
    })
}

/// What a login code did.
enum ByCode {
    Opened(crate::core::ports::OpenedByCode),
    /// Right, and the user has a second factor: the challenge is stored.
    SecondFactor,
    Refused,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ru() -> PhoneRegion {
        "RU".parse().unwrap()
    }

    #[test]
    fn a_code_request_names_a_phone_and_a_purpose() {
        let r = CodeRequest::parse(
            &json!({"phone": "8 999 123-45-67", "purpose": "login"}),
            ru(),
        )
        .unwrap();
        assert!(matches!(
            r,
            CodeRequest::ToPhone { ref phone, purpose: Purpose::Login } if phone.as_str() == "+79991234567"
        ));
        let e =
            CodeRequest::parse(&json!({"phone": "nope", "purpose": "reset"}), ru()).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["purpose", "phone"]);
    }

    #[test]
    fn a_reauth_code_names_no_phone() {
        let r = CodeRequest::parse(&json!({"purpose": "reauth"}), ru()).unwrap();
        assert!(matches!(r, CodeRequest::Reauth));
        assert!(r.purpose().needs_sign_in());
        let e = CodeRequest::parse(&json!({"purpose": "reauth", "phone": "+79991234567"}), ru())
            .unwrap_err();
        assert_eq!(e[0].field, "phone");
        let v =
            CodeVerification::parse(&json!({"purpose": "reauth", "code": "123456"}), ru()).unwrap();
        assert!(matches!(v, CodeVerification::Reauth { ref code } if code.expose() == "123456"));
    }

    #[test]
    fn a_verification_carries_six_digits() {
        let v = CodeVerification::parse(
            &json!({"phone": "+79991234567", "purpose": "register", "code": "012345"}),
            ru(),
        )
        .unwrap();
        assert!(
            matches!(v, CodeVerification::ToPhone { ref code, .. } if code.expose() == "012345")
        );
        let e = CodeVerification::parse(
            &json!({"phone": "+79991234567", "purpose": "register", "code": 12345}),
            ru(),
        )
        .unwrap_err();
        assert_eq!(e[0].field, "code");
        assert!(CodeVerification::parse(
            &json!({"phone": "+79991234567", "purpose": "login", "code": "12345"}),
            ru()
        )
        .is_err());
    }
}
