//! Phone codes (`POST /auth/otp/request`, `POST /auth/otp/verify`): a code
//! by SMS signs in, or buys a one-time proof that registration without a
//! password, or adding a phone, accepts.

use super::fields::*;
use super::*;
use crate::core::config::Config;
use crate::core::identity::{Phone, PhoneRegion};
use crate::core::otp::{Code, Purpose};
use crate::core::ports::{
    ClientInfo, CodeIssued, CodeTried, NewSession, Outbound, OutboundError, Revocations, Store,
    Throttle,
};
use crate::core::problem::{ApiError, FieldError};
use crate::core::secret::Secret;
use crate::core::sms::{code_text, Sms};
use crate::core::tokens::{RefreshToken, Subject};
use serde_json::{json, Value};

/// `POST /auth/otp/request`: `{phone, purpose}`.
#[derive(Debug)]
pub struct CodeRequest {
    pub phone: Phone,
    pub purpose: Purpose,
}

/// `POST /auth/otp/verify`: `{phone, purpose, code}`.
#[derive(Debug)]
pub struct CodeVerification {
    pub phone: Phone,
    pub purpose: Purpose,
    pub code: Code,
}

fn phone_and_purpose(f: &mut Fields<'_>, region: PhoneRegion) -> (Option<Phone>, Option<Purpose>) {
    let raw_phone = f.text("phone");
    let phone = f.parsed("phone", raw_phone, |s| Phone::parse(s, region));
    let purpose = match f.text("purpose") {
        Some(raw) => {
            let purpose = Purpose::parse(raw.trim());
            if purpose.is_none() {
                f.fail("purpose", "must be login, register or verify_phone");
            }
            purpose
        }
        None => None,
    };
    (phone, purpose)
}

impl CodeRequest {
    pub fn parse(body: &Value, region: PhoneRegion) -> Result<CodeRequest, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let (phone, purpose) = phone_and_purpose(&mut f, region);
        let all = (|| {
            Some(CodeRequest {
                phone: phone?,
                purpose: purpose?,
            })
        })();
        f.finish(all)
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
            Some(CodeVerification {
                phone: phone?,
                purpose: purpose?,
                code: code?,
            })
        })();
        f.finish(all)
    }
}

/// Stores a new code and sends it by SMS when the phone is one this purpose
/// sends to. The answer is the same 202 whether or not it was sent, and
/// takes at least `otp_response_floor_ms`, so neither tells whether the
/// phone belongs to someone.
pub async fn request_code(
    config: &Config,
    store: &mut impl Store,
    throttle: &mut impl Throttle,
    outbound: &mut impl Outbound,
    request: &CodeRequest,
    client: &ClientInfo,
) -> Result<Value, ApiError> {
    let started = std::time::Instant::now();
    let settings = config.otp()?;
    let phone = request.phone.as_str();
    let purpose = request.purpose.as_str();
    admit(
        throttle,
        &abuse::code_request_windows(config.limits()?, phone, client.ip.as_deref()),
    )
    .await?;
    let code = Code::generate().map_err(|_| ApiError::Internal)?;
    let digest = code.digest(config.otp_key()?.expose(), phone, request.purpose);
    let issued = store
        .request_otp(
            phone,
            purpose,
            &digest,
            settings.ttl_seconds,
            settings.resend_seconds,
        )
        .await?;
    if config.sms_gateway()?.is_none() {
        announce_development_mode();
    }
    let deliver = match issued {
        CodeIssued::Issued { deliver } => deliver,
        CodeIssued::TooSoon { retry_after } => {
            return Err(ApiError::TooManyRequests {
                retry_after_seconds: retry_after,
            })
        }
    };
    if deliver {
        let text = code_text(&settings.text_template, code.expose(), settings.ttl_seconds);
        let sms = Sms {
            to: phone,
            text: &text,
        };
        match config.sms_gateway()? {
            Some(gateway) => {
                let took = match outbound
                    .post(&gateway.request(&sms), gateway.timeout_ms)
                    .await
                {
                    Ok(response) if gateway.took(&sms, &response) => Ok(()),
                    Ok(response) => Err(format!("answered {}", response.status)),
                    Err(OutboundError::TimedOut) => Err("did not answer in time".to_string()),
                    Err(OutboundError::Failed(why)) => Err(why),
                };
                if let Err(why) = took {
                    // Not sent: the code is withdrawn, so it neither works
                    // nor delays the next request.
                    eprintln!("SMS gateway did not take a {purpose} message: {why}");
                    if let Err(e) = store.withdraw_otp(phone, purpose, &digest).await {
                        eprintln!("unsent OTP row not withdrawn: {e:?}");
                    }
                    return Err(ApiError::Unavailable {
                        dependency: "sms gateway",
                    });
                }
            }
            // SPEC §6: with no gateway the message goes to the log, on
            // purpose (a development mode, announced above).
            None => eprintln!("development mode: the SMS to {phone} would read: {text}"),
        }
    }
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

/// Says once per instance (every request, for the WASIp2 build) that codes
/// go to the log: a development mode is never silent (SPEC §6).
fn announce_development_mode() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static ANNOUNCED: AtomicBool = AtomicBool::new(false);
    if !ANNOUNCED.swap(true, Ordering::Relaxed) {
        eprintln!(
            "sms_gateway is not configured: development mode, codes are written to this log instead of sent"
        );
    }
}

/// What a right code buys.
pub enum Verified {
    /// `login`: a token pair in a new session.
    Tokens(TokenPair),
    /// `register`, `verify_phone`: a one-time proof of the phone.
    Proof {
        proof: Secret<String>,
        expires_in: u32,
    },
}

/// Tries a code. Counted before it is tried, apart from password failures:
/// a (phone, client IP) pair and a phone lock as logins do. A wrong, used
/// or expired code all answer the same 401.
pub async fn verify_code(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl Throttle + Revocations),
    request: &CodeVerification,
    client: &ClientInfo,
) -> Result<Verified, ApiError> {
    let settings = config.otp()?;
    let phone = request.phone.as_str();
    let ip = client.ip.as_deref();
    admit(cache, &abuse::code_try_windows(config.limits()?, phone, ip)).await?;
    let digest = request
        .code
        .digest(config.otp_key()?.expose(), phone, request.purpose);
    let verified = match request.purpose {
        Purpose::Login => {
            let refresh = RefreshToken::generate().map_err(|_| ApiError::Internal)?;
            let session = NewSession {
                refresh_token_hash: &refresh.hash,
                ttl_seconds: config.refresh_ttl_seconds()?,
                max_sessions: config.max_active_sessions()?,
                client,
            };
            match sign_in_with_code(config, store, cache, phone, &digest, &session).await? {
                Some(opened) => {
                    let subject = Subject {
                        user_id: &opened.user_id,
                        session_id: &opened.session.session_id,
                        roles: &opened.session.roles,
                        organizations: &opened.session.organizations,
                    };
                    Verified::Tokens(token_pair(
                        config,
                        &subject,
                        &refresh,
                        opened.session.seconds_left,
                    )?)
                }
                None => return Err(ApiError::InvalidCode),
            }
        }
        Purpose::Register | Purpose::VerifyPhone => {
            let proof = RefreshToken::generate().map_err(|_| ApiError::Internal)?;
            match store
                .prove_phone(
                    phone,
                    request.purpose.as_str(),
                    &digest,
                    settings.max_attempts,
                    &proof.hash,
                    settings.proof_ttl_seconds,
                )
                .await?
            {
                CodeTried::Proven { expires_in } => Verified::Proof {
                    proof: proof.token,
                    expires_in,
                },
                CodeTried::Wrong { .. } | CodeTried::Invalid | CodeTried::Opened(_) => {
                    return Err(ApiError::InvalidCode)
                }
            }
        }
    };
    if let Err(e) = cache.forgive(&abuse::code_succeeded(phone, ip)).await {
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
) -> Result<Option<crate::core::ports::OpenedByCode>, ApiError> {
    let max_attempts = config.otp()?.max_attempts;
    let tried = ending_sessions_of_anyone(config, store, revocations, async |store| {
        store
            .sign_in_with_otp(phone, digest, max_attempts, session)
            .await
    })
    .await?;
    Ok(match tried {
        CodeTried::Opened(opened) => Some(opened),
        CodeTried::Wrong { .. } | CodeTried::Invalid | CodeTried::Proven { .. } => None,
    })
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
        assert_eq!(
            (r.phone.as_str(), r.purpose),
            ("+79991234567", Purpose::Login)
        );
        let e =
            CodeRequest::parse(&json!({"phone": "nope", "purpose": "reset"}), ru()).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["phone", "purpose"]);
    }

    #[test]
    fn a_verification_carries_six_digits() {
        let v = CodeVerification::parse(
            &json!({"phone": "+79991234567", "purpose": "register", "code": "012345"}),
            ru(),
        )
        .unwrap();
        assert_eq!(v.code.expose(), "012345");
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
