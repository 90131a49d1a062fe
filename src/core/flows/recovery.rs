//! Verified emails and the way back from a forgotten password (SPEC §2,
//! §6a): `POST /auth/email/verify` (a link's token), `POST
//! /auth/email/verification` (a new link), `POST /auth/recovery` (a code to
//! the verified phone, a link to each verified email) and `POST
//! /auth/recovery/complete` (the new password).

use super::fields::*;
use super::*;
use crate::core::config::{Config, EmailDelivery};
use crate::core::email::{self, link, link_text};
use crate::core::guard::Principal;
use crate::core::identity::{Email, LoginId, Password, Phone, PhoneRegion};
use crate::core::otp::{Code, Purpose};
use crate::core::ports::{
    ClientInfo, EmailVerified, Events, MeCache, NewEmailLink, Outbound, OutboundError,
    PasswordReset, RecoveryChecked, RecoveryDestinations, RecoveryIssued, RecoveryProof,
    Revocations, Store, Throttle, VerificationRequested,
};
use crate::core::problem::{ApiError, FieldError};
use crate::core::secret::Secret;
use crate::core::sms::code_text;
use serde_json::{json, Value};

/// The page of the app a verification link opens.
pub const VERIFY_PAGE: &str = "verify-email";
/// The page of the app a recovery link opens.
pub const RESET_PAGE: &str = "reset-password";

/// A link's token as the client hands it back.
fn link_token(f: &mut Fields<'_>, field: &str) -> Option<Secret<String>> {
    let raw = f.text(field)?;
    if !tokens::is_opaque_token(raw) {
        f.fail(field, "is not a token from a link this service sent");
        return None;
    }
    Some(Secret::new(raw.to_string()))
}

/// `POST /auth/email/verify`: `{token}` from the link.
#[derive(Debug)]
pub struct EmailConfirmation {
    pub token: Secret<String>,
}

impl EmailConfirmation {
    pub fn parse(body: &Value) -> Result<EmailConfirmation, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let token = link_token(&mut f, "token");
        f.finish(token.map(|token| EmailConfirmation { token }))
    }
}

/// `POST /auth/email/verification`: `{email}`, one of the caller's.
#[derive(Debug)]
pub struct VerificationRequest {
    pub email: Email,
}

impl VerificationRequest {
    pub fn parse(body: &Value) -> Result<VerificationRequest, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let raw = f.text("email");
        let email = f.parsed("email", raw, Email::parse);
        f.finish(email.map(|email| VerificationRequest { email }))
    }
}

/// `POST /auth/recovery`: `{login}`, a second_login, email or phone.
#[derive(Debug)]
pub struct RecoveryRequest {
    pub login: LoginId,
}

impl RecoveryRequest {
    pub fn parse(body: &Value, region: PhoneRegion) -> Result<RecoveryRequest, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let raw = f.text("login");
        let login = f.parsed("login", raw, |raw| LoginId::parse(raw, region));
        f.finish(login.map(|login| RecoveryRequest { login }))
    }
}

/// `POST /auth/recovery/complete`: `{phone, code, new_password}` or
/// `{token, new_password}`.
#[derive(Debug)]
pub enum RecoveryCompletion {
    ByCode {
        phone: Phone,
        code: Code,
        new_password: Password,
    },
    ByLink {
        token: Secret<String>,
        new_password: Password,
    },
}

impl RecoveryCompletion {
    pub fn parse(body: &Value, region: PhoneRegion) -> Result<RecoveryCompletion, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let raw_new = f.text("new_password");
        let new_password = f.parsed("new_password", raw_new, Password::parse);
        let by_link = body.get("token").is_some();
        if by_link && (body.get("phone").is_some() || body.get("code").is_some()) {
            f.fail(
                "token",
                "give a link's token, or a phone and its code, not both",
            );
            return Err(f.finish::<()>(None).unwrap_err());
        }
        let all = if by_link {
            let token = link_token(&mut f, "token");
            (|| {
                Some(RecoveryCompletion::ByLink {
                    token: token?,
                    new_password: new_password?,
                })
            })()
        } else {
            let raw_phone = f.text("phone");
            let phone = f.parsed("phone", raw_phone, |s| Phone::parse(s, region));
            let code = f.text("code").and_then(|raw| {
                let code = Code::parse(raw);
                if code.is_none() {
                    f.fail("code", "must be the 6 digits of the SMS");
                }
                code
            });
            (|| {
                Some(RecoveryCompletion::ByCode {
                    phone: phone?,
                    code: code?,
                    new_password: new_password?,
                })
            })()
        };
        f.finish(all)
    }

    fn new_password(&self) -> &Password {
        match self {
            RecoveryCompletion::ByCode { new_password, .. }
            | RecoveryCompletion::ByLink { new_password, .. } => new_password,
        }
    }
}

/// Follows a verification link: the address becomes a verified email of
/// the link's user. A claim (an address another account holds unverified)
/// completes only signed in to the claiming account, and then takes the
/// address from that account and ends the claimant's other sessions (a new
/// way to sign in, SPEC §2): Redis hears before it commits.
pub async fn verify_email(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl MeCache + Revocations + Throttle),
    request: &EmailConfirmation,
    opener: Option<&Principal>,
    client: &ClientInfo,
) -> Result<Value, ApiError> {
    // Per client IP, as recovery is: links are guessed no faster than
    // recovery is asked for (256 bits: never, in practice).
    admit(
        cache,
        &abuse::recovery_windows(config.limits()?, None, client.ip.as_deref()),
    )
    .await?;
    let hash = tokens::hash_refresh_token(request.token.expose());
    let verified = match opener {
        Some(principal) => {
            ending_sessions(
                config,
                store,
                cache,
                principal.user_id(),
                None,
                async |store| store.verify_email(&hash, Some(&caller(principal))).await,
            )
            .await?
        }
        None => store.verify_email(&hash, None).await?,
    };
    match verified {
        EmailVerified::Verified {
            user_id,
            email,
            taken_from,
            claimed,
        } => {
            audit::security(SecurityEvent::EmailVerified { user_id: &user_id });
            if claimed {
                audit::security(SecurityEvent::ContactChanged {
                    user_id: &user_id,
                    kind: "email",
                });
            }
            if let Some(from_user_id) = &taken_from {
                audit::security(SecurityEvent::UnverifiedContactTaken {
                    kind: "email",
                    from_user_id,
                    by_user_id: &user_id,
                });
                forget_me(cache, from_user_id).await;
            }
            forget_me(cache, &user_id).await;
            Ok(json!({"email": email, "verified": true}))
        }
        EmailVerified::SignInRequired => Err(ApiError::ClaimNeedsItsAccount),
        EmailVerified::AnotherAccount => Err(ApiError::LinkOfAnotherAccount),
        EmailVerified::Taken => Err(ApiError::Conflict {
            field: "email".into(),
        }),
        EmailVerified::Invalid => Err(ApiError::InvalidLink),
    }
}

/// A new verification link for one of the signed-in user's unverified
/// emails (or one they claimed), after the resend delay and within the
/// caps (per address, per account, the service's budget). Whose address it
/// is, is asked first: a refusal for someone else's counts nothing, so no
/// answer tells whether an address is anyone's.
pub async fn request_verification(
    config: &Config,
    store: &mut impl Store,
    throttle: &mut impl Throttle,
    outbound: &mut impl Outbound,
    principal: &Principal,
    request: &VerificationRequest,
) -> Result<Value, ApiError> {
    let settings = config.email()?;
    if let EmailDelivery::NotConfigured = config.email_gateway()? {
        return Err(ApiError::Unavailable {
            dependency: "email gateway: not configured (email_gateway)",
            cause: None,
        });
    }
    let address = request.email.as_str();
    let token = new_verification_link()?;
    let new_link = NewEmailLink {
        token_hash: &token.hash,
        ttl_seconds: settings.verify_link_ttl_seconds,
    };
    let resend = config.otp()?.resend_seconds;
    let claim = match store
        .request_email_verification(&caller(principal), address, &new_link, resend)
        .await?
    {
        VerificationRequested::Issued { claim } => claim,
        VerificationRequested::TooSoon { retry_after } => {
            return Err(ApiError::TooManyRequests {
                retry_after_seconds: retry_after,
            })
        }
        VerificationRequested::AlreadyVerified => {
            return Err(ApiError::Validation(vec![FieldError::new(
                "email",
                "is already verified",
            )]))
        }
        VerificationRequested::NotYours => {
            return Err(ApiError::Validation(vec![FieldError::new(
                "email",
                "is not an email of your account waiting to be verified",
            )]))
        }
        VerificationRequested::SessionInactive => return Err(ApiError::InvalidToken),
    };
    let kind = if claim {
        abuse::EmailKind::Claim
    } else {
        abuse::EmailKind::Verification
    };
    let windows = abuse::email_windows(config.limits()?, kind, address, Some(principal.user_id()));
    let sent = match admit(throttle, &windows).await {
        Ok(()) => {
            let (subject, text) = verification_email(config, token.token.expose())?;
            match send_email(config, outbound, address, &subject, &text).await? {
                Ok(()) => Ok(()),
                Err(why) => {
                    eprintln!("email gateway did not take a verification link: {why}");
                    if let Err(e) = throttle.forgive(&abuse::unsent(&windows)).await {
                        eprintln!("email caps not given back (Redis): {e}");
                    }
                    Err(ApiError::Unavailable {
                        dependency: "email gateway",
                        cause: None,
                    })
                }
            }
        }
        Err(refused) => Err(refused),
    };
    if let Err(refused) = sent {
        // Not sent: the link is withdrawn, so it neither works nor holds
        // the next request back.
        if let Err(e) = store.withdraw_email_link(&token.hash).await {
            eprintln!("unsent verification link not withdrawn: {e:?}");
        }
        return Err(refused);
    }
    Ok(json!({"expires_in": settings.verify_link_ttl_seconds}))
}

/// The subject and text of a verification email carrying `token`.
fn verification_email(config: &Config, token: &str) -> Result<(String, String), ApiError> {
    let settings = config.email()?;
    let link = link(&settings.link_base, VERIFY_PAGE, token);
    Ok((
        settings.verify_subject.clone(),
        link_text(
            &settings.verify_text_template,
            &link,
            settings.verify_link_ttl_seconds,
        ),
    ))
}

/// A fresh verification link's token, for a change that adds an email
/// (registration, a new contact) to store with it.
pub(super) fn new_verification_link() -> Result<RefreshToken, ApiError> {
    RefreshToken::generate().map_err(|e| ApiError::internal("email.link_token", e))
}

/// The verification link a change that adds an email stores, when emails
/// can go out at all (`email_gateway` set): without a gateway nothing is
/// stored that could never be sent.
pub(super) fn verification_link_to_send(config: &Config) -> Result<Option<RefreshToken>, ApiError> {
    match config.email_gateway()? {
        EmailDelivery::NotConfigured => Ok(None),
        EmailDelivery::Log | EmailDelivery::Gateway(_) => Ok(Some(new_verification_link()?)),
    }
}

/// Sends the verification link of an email just added (or claimed), once
/// the change has committed, within the caps. Best effort: the change
/// stands whatever the gateway does, and the user can ask for a new link
/// (`/auth/email/verification`); a link not sent is withdrawn, so that
/// asking is not held back.
pub(super) async fn send_verification_link(
    config: &Config,
    store: &mut impl Store,
    throttle: &mut impl Throttle,
    outbound: &mut impl Outbound,
    (address, claim, asked_by): (&str, bool, &str),
    token: &RefreshToken,
) {
    let kind = if claim {
        abuse::EmailKind::Claim
    } else {
        abuse::EmailKind::Verification
    };
    let sent = async {
        let windows = abuse::email_windows(config.limits()?, kind, address, Some(asked_by));
        if throttle.hit(&windows).await? != Verdict::Allowed {
            return Ok(Err(
                "past the hourly emails of the address, the account or the service".to_string(),
            ));
        }
        let (subject, text) = verification_email(config, token.token.expose())?;
        let sent = send_email(config, outbound, address, &subject, &text).await?;
        if sent.is_err() {
            if let Err(e) = throttle.forgive(&abuse::unsent(&windows)).await {
                eprintln!("email caps not given back (Redis): {e}");
            }
        }
        Ok::<_, ApiError>(sent)
    };
    let why = match sent.await {
        Ok(Ok(())) => return,
        Ok(Err(why)) => why,
        Err(e) => format!("{e:?}"),
    };
    eprintln!("verification link not sent: {why}");
    if let Err(e) = store.withdraw_email_link(&token.hash).await {
        eprintln!("unsent verification link not withdrawn: {e:?}");
    }
}

/// Sends one email through the configured gateway: `Ok(Err(why))` when it
/// was not taken. With `email_gateway = log` (development, announced) the
/// email goes to the log, on purpose, as SMS do.
pub(super) async fn send_email(
    config: &Config,
    outbound: &mut impl Outbound,
    to: &str,
    subject: &str,
    text: &str,
) -> Result<Result<(), String>, ApiError> {
    let gateway = match config.email_gateway()? {
        EmailDelivery::Gateway(gateway) => gateway,
        EmailDelivery::Log => {
            announce_email_development_mode();
            eprintln!(
                "development mode (email_gateway = log): the email to {to} would read: {subject} — {text}"
            );
            return Ok(Ok(()));
        }
        EmailDelivery::NotConfigured => return Ok(Err("email_gateway is not configured".into())),
    };
    let message = email::Email { to, subject, text };
    Ok(
        match outbound
            .post(&gateway.request(&message), gateway.timeout_ms)
            .await
        {
            Ok(response) if gateway.took(&response) => Ok(()),
            Ok(response) => Err(format!("answered {}", response.status)),
            Err(OutboundError::TimedOut) => Err("did not answer in time".to_string()),
            Err(OutboundError::Failed(why)) => Err(why),
        },
    )
}

/// Says once per instance that emails go to the log (SPEC §6a: a
/// development mode is never silent).
fn announce_email_development_mode() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static ANNOUNCED: AtomicBool = AtomicBool::new(false);
    if !ANNOUNCED.swap(true, Ordering::Relaxed) {
        eprintln!(
            "email_gateway = log: development mode, emails are written to this log instead of sent"
        );
    }
}

/// Asks for a way back into an account: a `recover` code to its verified
/// phone and a link to each verified email, nothing to unverified ones.
/// The same 202, body and time (at least `otp_response_floor_ms`) for any
/// login, known or not; counted per login and per client IP before
/// anything is looked up, and per destination before anything is stored.
/// A gateway that fails is logged, never answered: a 503 only for known
/// logins would tell which exist.
pub async fn request_recovery(
    config: &Config,
    store: &mut impl Store,
    throttle: &mut impl Throttle,
    outbound: &mut impl Outbound,
    request: &RecoveryRequest,
    client: &ClientInfo,
) -> Result<Value, ApiError> {
    let started = std::time::Instant::now();
    let otp = config.otp()?;
    let settings = config.email()?;
    let (kind, value) = request.login.contact();
    admit(
        throttle,
        &abuse::recovery_windows(config.limits()?, Some(value), client.ip.as_deref()),
    )
    .await?;
    let RecoveryDestinations::Found {
        user_id,
        phone,
        emails,
    } = store.recovery_destinations((kind, value)).await?;
    if let Some(user_id) = user_id {
        send_recovery(config, store, throttle, outbound, &user_id, phone, emails).await?;
    }
    let elapsed = started.elapsed().as_millis() as u64;
    let floor = u64::from(otp.response_floor_ms);
    if elapsed < floor {
        outbound.pause(floor - elapsed).await;
    }
    Ok(json!({
        "status": "sent_if_known",
        "code_expires_in": otp.ttl_seconds,
        "link_expires_in": settings.recovery_link_ttl_seconds,
    }))
}

/// Stores and sends what a known login's recovery sends, each destination
/// within its hourly cap (and a code within the SMS budget).
async fn send_recovery(
    config: &Config,
    store: &mut impl Store,
    throttle: &mut impl Throttle,
    outbound: &mut impl Outbound,
    user_id: &str,
    phone: Option<String>,
    emails: Vec<String>,
) -> Result<(), ApiError> {
    let otp = config.otp()?;
    let settings = config.email()?;
    let limits = config.limits()?;
    // Each destination counted before anything is stored, and given back
    // for whatever then goes out after all: a request that sends nothing
    // (inside the resend delay, say) uses up nobody's messages.
    let sms_windows = phone.as_deref().map(|phone| {
        vec![
            abuse::sms_phone_window(limits, "recover", phone),
            abuse::sms_budget_window(limits),
        ]
    });
    let phone = match (phone, &sms_windows) {
        (Some(phone), Some(windows)) if allowed(throttle, windows).await? => Some(phone),
        _ => None,
    };
    let mut links = Vec::new();
    for address in emails {
        let windows = abuse::email_windows(limits, abuse::EmailKind::Recovery, &address, None);
        if allowed(throttle, &windows).await? {
            let token =
                RefreshToken::generate().map_err(|e| ApiError::internal("recovery.link", e))?;
            links.push((address, token, windows));
        }
    }
    let code = Code::generate().map_err(|e| ApiError::internal("recovery.code", e))?;
    let digest = code.digest(
        config.otp_key()?.expose(),
        phone.as_deref().unwrap_or_default(),
        Purpose::Recover,
    );
    let digests: Vec<(String, [u8; 32])> = links
        .iter()
        .map(|(address, token, _)| (address.clone(), token.hash))
        .collect();
    let RecoveryIssued::Issued {
        phone: code_to,
        emails: linked,
    } = store
        .issue_recovery(
            user_id,
            phone.as_deref(),
            &digest,
            otp.ttl_seconds,
            otp.resend_seconds,
            &digests,
            settings.recovery_link_ttl_seconds,
        )
        .await?;
    let mut unsent = Vec::new();
    match (code_to, &phone) {
        (Some(to), _) => {
            let text = code_text(
                otp.text_for(Purpose::Recover),
                code.expose(),
                otp.ttl_seconds,
            );
            if let Err(why) = phone_codes::send_sms(config, outbound, &to, &text).await? {
                eprintln!("SMS gateway did not take a recovery code: {why}");
                if let Err(e) = store.withdraw_otp(&to, "recover", &digest).await {
                    eprintln!("unsent recovery code not withdrawn: {e:?}");
                }
                unsent.extend(sms_windows.into_iter().flatten());
            }
        }
        (None, Some(_)) => unsent.extend(sms_windows.into_iter().flatten()),
        (None, None) => {}
    }
    for (address, token, windows) in links {
        if !linked.contains(&address) {
            unsent.extend(windows);
            continue;
        }
        let link = link(&settings.link_base, RESET_PAGE, token.token.expose());
        let text = link_text(
            &settings.recovery_text_template,
            &link,
            settings.recovery_link_ttl_seconds,
        );
        if let Err(why) = send_email(
            config,
            outbound,
            &address,
            &settings.recovery_subject,
            &text,
        )
        .await?
        {
            eprintln!("email gateway did not take a recovery link: {why}");
            unsent.extend(windows);
        }
    }
    if !unsent.is_empty() {
        if let Err(e) = throttle.forgive(&abuse::unsent(&unsent)).await {
            eprintln!("recovery caps not given back (Redis): {e}");
        }
    }
    Ok(())
}

/// Counts one message in its windows: whether it is within every cap.
async fn allowed(throttle: &mut impl Throttle, windows: &[Window]) -> Result<bool, ApiError> {
    Ok(throttle.hit(windows).await? == Verdict::Allowed)
}

/// Completes a recovery: the code or link checked (a code's tries counted
/// before, and locking as login codes do), then the new password set,
/// every session of the user ended (Redis first, as every end), the
/// lockout of each of their logins cleared, `password.reset` written and
/// announced, and the account's other verified channels told.
pub async fn complete_recovery(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl Throttle + Revocations + MeCache + Events),
    outbound: &mut impl Outbound,
    request: &RecoveryCompletion,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let otp = config.otp()?;
    let limits = config.limits()?;
    let ip = client.ip.as_deref();
    let code_digest;
    let token_hash;
    let (proof, counted_as, refused) = match request {
        RecoveryCompletion::ByCode { phone, code, .. } => {
            let counted_as = format!("recover:{}", phone.as_str());
            admit(cache, &abuse::code_try_windows(limits, &counted_as, ip)).await?;
            code_digest = code.digest(config.otp_key()?.expose(), phone.as_str(), Purpose::Recover);
            let proof = RecoveryProof::Code {
                phone: phone.as_str(),
                code_digest: &code_digest,
            };
            (proof, Some(counted_as), ApiError::InvalidCode)
        }
        RecoveryCompletion::ByLink { token, .. } => {
            admit(cache, &abuse::recovery_windows(limits, None, ip)).await?;
            token_hash = tokens::hash_refresh_token(token.expose());
            let proof = RecoveryProof::Link {
                token_hash: &token_hash,
            };
            (proof, None, ApiError::InvalidLink)
        }
    };
    let (user_id, identifiers) = match store.check_recovery(&proof, otp.max_attempts).await? {
        RecoveryChecked::Valid {
            user_id,
            identifiers,
        } => (user_id, identifiers),
        RecoveryChecked::Wrong { .. } | RecoveryChecked::Invalid => return Err(refused),
    };
    let new_password = request.new_password();
    let identifiers: Vec<&str> = identifiers.iter().map(String::as_str).collect();
    if new_password.repeats_identifier(&identifiers, config.default_phone_region()?) {
        return Err(ApiError::Validation(vec![FieldError::new(
            "new_password",
            "must not be your login, phone or email",
        )]));
    }
    let hash = passwords::hash(new_password, config.bcrypt_cost()?)
        .map_err(|e| ApiError::internal("recovery.hash_password", e))?;
    let reset = ending_sessions(config, store, cache, &user_id, None, async |store| {
        store
            .reset_password(&user_id, &proof, otp.max_attempts, hash.expose())
            .await
    })
    .await?;
    let PasswordReset::Reset {
        logins,
        notify_phone,
        notify_emails,
        events,
    } = reset
    else {
        return Err(refused);
    };
    let via = match &proof {
        RecoveryProof::Code { .. } => "sms",
        RecoveryProof::Link { .. } => "email",
    };
    audit::security(SecurityEvent::PasswordReset {
        user_id: &user_id,
        via,
    });
    let mut cleared = abuse::lockout_cleared(&logins, ip);
    let second_factor = abuse::second_factor_cleared(limits, &user_id, ip);
    cleared.delete.extend(second_factor.delete);
    if let Some(counted_as) = &counted_as {
        let code = abuse::code_succeeded(counted_as, ip);
        cleared.delete.extend(code.delete);
        cleared.decrement.extend(code.decrement);
    }
    if let Err(e) = cache.forgive(&cleared).await {
        eprintln!("lockouts not cleared after a reset (Redis): {e}");
    }
    announce(store, cache, &events).await;
    forget_me(cache, &user_id).await;
    tell_of_reset(config, outbound, notify_phone.as_deref(), &notify_emails).await;
    Ok(())
}

/// A notice to an account's verified channels: the SMS text, and the
/// email's subject and text.
pub(super) struct Notice<'a> {
    pub what: &'a str,
    pub sms: &'a str,
    pub subject: &'a str,
    pub email: &'a str,
}

/// Tells the account's verified channels of a change (SPEC §2: a reset, a
/// second factor turned on or off). Best effort: the change is made; a
/// gateway that fails is logged.
pub(super) async fn tell_channels(
    config: &Config,
    outbound: &mut impl Outbound,
    phone: Option<&str>,
    emails: &[String],
    notice: &Notice<'_>,
) {
    let what = notice.what;
    if let Some(phone) = phone {
        match phone_codes::send_sms(config, outbound, phone, notice.sms).await {
            Ok(Ok(())) => {}
            Ok(Err(why)) => eprintln!("SMS gateway did not take a {what} notice: {why}"),
            Err(e) => eprintln!("{what} notice not sent by SMS: {e:?}"),
        }
    }
    for address in emails {
        match send_email(config, outbound, address, notice.subject, notice.email).await {
            Ok(Ok(())) => {}
            Ok(Err(why)) => eprintln!("email gateway did not take a {what} notice: {why}"),
            Err(e) => eprintln!("{what} notice not sent by email: {e:?}"),
        }
    }
}

/// Tells the account's other verified channels that its password was
/// reset.
async fn tell_of_reset(
    config: &Config,
    outbound: &mut impl Outbound,
    phone: Option<&str>,
    emails: &[String],
) {
    let (Ok(otp), Ok(settings)) = (config.otp(), config.email()) else {
        return eprintln!("reset notice not sent: its texts are unreadable");
    };
    let notice = Notice {
        what: "reset",
        sms: &otp.password_reset_text,
        subject: &settings.password_reset_subject,
        email: &settings.password_reset_text,
    };
    tell_channels(config, outbound, phone, emails, &notice).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ru() -> PhoneRegion {
        "RU".parse().unwrap()
    }

    const TOKEN: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";

    #[test]
    fn a_completion_is_by_code_or_by_link_never_both() {
        let by_code = RecoveryCompletion::parse(
            &json!({"phone": "8 999 123-45-67", "code": "012345", "new_password": "new secret 1"}),
            ru(),
        )
        .unwrap();
        assert!(
            matches!(by_code, RecoveryCompletion::ByCode { ref phone, .. } if phone.as_str() == "+79991234567")
        );
        let by_link = RecoveryCompletion::parse(
            &json!({"token": TOKEN, "new_password": "new secret 1"}),
            ru(),
        )
        .unwrap();
        assert!(matches!(by_link, RecoveryCompletion::ByLink { .. }));
        let both = RecoveryCompletion::parse(
            &json!({"token": TOKEN, "code": "012345", "new_password": "new secret 1"}),
            ru(),
        )
        .unwrap_err();
        assert_eq!(both[0].field, "token");
        let short =
            RecoveryCompletion::parse(&json!({"token": "short", "new_password": "tiny"}), ru())
                .unwrap_err();
        let fields: Vec<&str> = short.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["new_password", "token"]);
    }

    #[test]
    fn a_recovery_names_a_login_of_any_kind() {
        for (raw, kind) in [
            ("Ivan.Petrov", "second_login"),
            ("Ivan@Example.com", "email"),
            ("8 999 123-45-67", "phone"),
        ] {
            let r = RecoveryRequest::parse(&json!({"login": raw}), ru()).unwrap();
            assert_eq!(r.login.contact().0, kind, "{raw}");
        }
        assert_eq!(
            RecoveryRequest::parse(&json!({}), ru()).unwrap_err()[0].field,
            "login"
        );
    }

    #[test]
    fn a_link_token_is_what_a_link_carries() {
        assert!(EmailConfirmation::parse(&json!({"token": TOKEN})).is_ok());
        let e = EmailConfirmation::parse(&json!({"token": "../etc"})).unwrap_err();
        assert_eq!(e[0].field, "token");
        let e = VerificationRequest::parse(&json!({"email": "not an email"})).unwrap_err();
        assert_eq!(e[0].field, "email");
    }
}
