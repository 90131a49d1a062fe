//! The signed-in user's own account: `/auth/me`, the password, contacts.

use super::fields::*;
use super::phone_codes;
use super::recovery;
use super::*;
use crate::core::config::Config;
use crate::core::guard::Principal;
use crate::core::identity::{Email, Password, Phone, PhoneRegion, SecondLogin};
use crate::core::passwords;
use crate::core::ports::{
    AccountProof, AccountRefusal, ClientInfo, ContactAdded, ContactKind, ContactRemoved, MeCache,
    MeLookup, NewEmailLink, Outbound, PasswordChangeOutcome, PasswordCredentials, PhoneProven,
    Revocations, Store, Throttle,
};
use crate::core::problem::{ApiError, FieldError};
use crate::core::secret::Secret;
use crate::core::tokens;
use serde_json::Value;

/// How long a `/me` answer may be served from Redis. Every change made
/// through the API forgets it at once; one made behind the API's back (an
/// operator's SQL) shows within this time — well within an access token's
/// life, whose roles are as old as the token.
pub const ME_CACHE_SECONDS: u64 = 60;

/// The signed-in user: from Redis when a cached answer is fresh (read along
/// with the guard's check), else from PostgreSQL, which also checks the
/// session, then cached under the fence read before it was asked.
pub async fn me(
    store: &mut impl Store,
    cache: &mut impl MeCache,
    principal: &Principal,
    cached: MeLookup,
) -> Result<Value, ApiError> {
    let fence = match cached {
        MeLookup::Fresh(me) => return Ok(me),
        MeLookup::Missing(fence) => fence,
        MeLookup::Revoked => return Err(ApiError::InvalidToken),
    };
    let me = inactive_is_unauthenticated(store.me(&caller(principal)).await?)?;
    let remembered = cache
        .remember_me(
            principal.session_id(),
            principal.user_id(),
            &fence,
            &me,
            ME_CACHE_SECONDS,
        )
        .await;
    if let Err(e) = remembered {
        eprintln!("/me not cached: {e}");
    }
    Ok(me)
}

/// Sets the signed-in user's password: a new one after the current one, or
/// a first one (an account that signed up by phone code) after a reauth
/// proof. Either way a fresh proof of the account (SPEC §2), and every
/// other session of the user ends.
pub async fn change_password(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl Revocations + Throttle),
    principal: &Principal,
    request: PasswordChange,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let credentials =
        inactive_is_unauthenticated(store.password_credentials(&caller(principal)).await?)?;
    let proof = confirm_account(config, cache, &credentials, &request.confirmation, client)
        .await?
        .ok_or(ApiError::ReauthRequired)?;
    let identifiers: Vec<&str> = credentials.identifiers.iter().map(String::as_str).collect();
    if request
        .new
        .repeats_identifier(&identifiers, config.default_phone_region()?)
    {
        return Err(ApiError::Validation(vec![FieldError::new(
            "new_password",
            "must not be your login, phone or email",
        )]));
    }
    let hash = passwords::hash(&request.new, config.bcrypt_cost()?)
        .map_err(|e| ApiError::internal("password.hash_password", e))?;
    // The user's other sessions end: mirrored before the change commits.
    let outcome = ending_sessions(
        config,
        store,
        cache,
        principal.user_id(),
        None,
        async |store| {
            store
                .change_password(&caller(principal), &proof, hash.expose())
                .await
        },
    )
    .await?;
    match outcome {
        PasswordChangeOutcome::Changed { first } => {
            let user_id = principal.user_id();
            audit::security(if first {
                SecurityEvent::PasswordSet { user_id }
            } else {
                SecurityEvent::PasswordChanged { user_id }
            });
            Ok(())
        }
        PasswordChangeOutcome::Refused(refusal) => Err(refused(refusal)),
    }
}

/// The fresh proof of the account a sensitive change carries, checked as
/// far as the component can: the current password against its hash
/// (counted as a login before bcrypt runs), a reauth proof as the digest
/// the database looks for. `None` when the request carries neither.
pub(super) async fn confirm_account(
    config: &Config,
    throttle: &mut impl Throttle,
    credentials: &PasswordCredentials,
    given: &AccountConfirmation,
    client: &ClientInfo,
) -> Result<Option<AccountProof>, ApiError> {
    Ok(match given {
        AccountConfirmation::Nothing => None,
        AccountConfirmation::ReauthProof(proof) => Some(AccountProof::Reauth {
            proof_hash: tokens::hash_refresh_token(proof.expose()),
        }),
        // No password yet: only a reauth code proves this account.
        AccountConfirmation::CurrentPassword(_) if credentials.password_hash.is_none() => {
            return Err(ApiError::ReauthRequired)
        }
        AccountConfirmation::CurrentPassword(password) => {
            match check_current_password(config, throttle, credentials, password, client).await? {
                Some(hash) => Some(AccountProof::CheckedPassword {
                    hash: hash.to_string(),
                }),
                None => return Err(not_current()),
            }
        }
    })
}

fn not_current() -> ApiError {
    ApiError::Validation(vec![FieldError::new(
        "current_password",
        "is not your current password",
    )])
}

/// Why the database refused a sensitive change, as the client hears it.
pub(super) fn refused(refusal: AccountRefusal) -> ApiError {
    match refusal {
        AccountRefusal::SessionInactive => ApiError::InvalidToken,
        AccountRefusal::ReauthRequired => ApiError::ReauthRequired,
        AccountRefusal::ReauthInvalid => ApiError::Validation(vec![FieldError::new(
            "reauth_proof",
            "is not a valid reauth proof (one use, for a few minutes): request and verify a reauth code again",
        )]),
        // A racing change won: the password verified is no longer current.
        AccountRefusal::CredentialsChanged => not_current(),
    }
}

/// What adding a contact did.
#[derive(Debug)]
pub enum ContactOutcome {
    /// `{id, type, value, verified, created_at}`.
    Added(Value),
    /// An email another account holds unverified: a link was sent to it,
    /// and following it makes it the caller's (SPEC §2).
    Pending { email: String },
}

/// Adds a contact for the signed-in user: a sensitive change (SPEC §2),
/// which needs a fresh proof of the account and ends the user's other
/// sessions. A phone also needs a proof that it received a code; verifying
/// one's own current phone changes nothing else and needs only that.
pub async fn add_contact(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl MeCache + Revocations + Throttle),
    outbound: &mut impl Outbound,
    principal: &Principal,
    request: NewContact,
    client: &ClientInfo,
) -> Result<ContactOutcome, ApiError> {
    let credentials =
        inactive_is_unauthenticated(store.password_credentials(&caller(principal)).await?)?;
    let proof = confirm_account(config, cache, &credentials, &request.confirmation, client).await?;
    let user_id = principal.user_id();
    let kind = request.kind.as_str();
    let (contact, changed) = match &request.phone_proof {
        Some(phone_proof) => {
            let phone_proof_hash = tokens::hash_refresh_token(phone_proof.expose());
            let outcome = ending_sessions(config, store, cache, user_id, None, async |store| {
                store
                    .add_verified_phone(
                        &caller(principal),
                        proof.as_ref(),
                        &phone_proof_hash,
                        &request.value,
                    )
                    .await
            })
            .await?;
            match outcome {
                PhoneProven::Added {
                    contact,
                    changed,
                    replaced_phone,
                    taken_from,
                } => {
                    if let Some(from_user_id) = &taken_from {
                        audit::security(SecurityEvent::UnverifiedContactTaken {
                            kind,
                            from_user_id,
                            by_user_id: user_id,
                        });
                        forget_me(cache, from_user_id).await;
                    }
                    if let Some(old) = &replaced_phone {
                        tell_replaced_phone(config, outbound, old, &request.value).await;
                    }
                    (contact, changed)
                }
                PhoneProven::Taken { field } => {
                    return Err(ApiError::Conflict {
                        field: field.as_str().to_string(),
                    })
                }
                PhoneProven::ProofInvalid => {
                    return Err(ApiError::Validation(vec![FieldError::new(
                        "phone_proof",
                        "is not a valid proof for this phone: request and verify a verify_phone code again",
                    )]))
                }
                PhoneProven::Refused(refusal) => return Err(refused(refusal)),
            }
        }
        None => {
            let proof = proof.ok_or(ApiError::ReauthRequired)?;
            // An email is verified by a link sent to it once the change
            // has committed.
            let token = match request.kind {
                ContactKind::Email => recovery::verification_link_to_send(config)?,
                _ => None,
            };
            let link = match &token {
                Some(token) => Some(NewEmailLink {
                    token_hash: &token.hash,
                    ttl_seconds: config.email()?.verify_link_ttl_seconds,
                }),
                None => None,
            };
            let outcome = ending_sessions(config, store, cache, user_id, None, async |store| {
                store
                    .add_contact(
                        &caller(principal),
                        &proof,
                        request.kind,
                        &request.value,
                        link.as_ref(),
                    )
                    .await
            })
            .await?;
            if let (Some(token), ContactAdded::Added { .. } | ContactAdded::Claimed { .. }) =
                (&token, &outcome)
            {
                let claim = matches!(outcome, ContactAdded::Claimed { .. });
                recovery::send_verification_link(
                    config,
                    store,
                    cache,
                    outbound,
                    (&request.value, claim, user_id),
                    token,
                )
                .await;
            }
            match outcome {
                ContactAdded::Added { contact } => (contact, true),
                ContactAdded::Claimed { email } => {
                    // Nothing changed yet: the address becomes theirs when
                    // the link is followed.
                    return Ok(ContactOutcome::Pending { email });
                }
                ContactAdded::Taken { field } => {
                    return Err(ApiError::Conflict {
                        field: field.as_str().to_string(),
                    })
                }
                ContactAdded::Refused(refusal) => return Err(refused(refusal)),
            }
        }
    };
    if changed {
        audit::security(SecurityEvent::ContactChanged { user_id, kind });
    }
    forget_me(cache, user_id).await;
    Ok(ContactOutcome::Added(contact))
}

/// Tells a replaced phone that it no longer signs in to the account (SPEC
/// §2), naming the new number only by its last digits. Best effort: the
/// change is made; a gateway that fails is logged.
async fn tell_replaced_phone(config: &Config, outbound: &mut impl Outbound, old: &str, new: &str) {
    let text = match config.otp() {
        Ok(settings) => settings
            .phone_changed_text
            .replace("{phone}", &hidden_phone(new)),
        Err(e) => return eprintln!("replaced phone not told: {e}"),
    };
    match phone_codes::send_sms(config, outbound, old, &text).await {
        Ok(Ok(())) => {}
        Ok(Err(why)) => eprintln!("SMS gateway did not take a phone-changed notice: {why}"),
        Err(e) => eprintln!("replaced phone not told: {e:?}"),
    }
}

/// `+7••••••4567`: enough for the owner to recognize, nothing to reuse.
fn hidden_phone(phone: &str) -> String {
    let keep = 4.min(phone.len().saturating_sub(2));
    let (head, tail) = phone.split_at(phone.len() - keep);
    let shown: String = head
        .chars()
        .enumerate()
        .map(|(i, c)| if i < 2 { c } else { '•' })
        .collect();
    format!("{shown}{tail}")
}

/// Deactivates one of the signed-in user's contacts (kept as history).
pub async fn remove_contact(
    store: &mut impl Store,
    cache: &mut impl MeCache,
    principal: &Principal,
    id: &str,
) -> Result<(), ApiError> {
    let Ok(id) = uuid::Uuid::try_parse(id) else {
        return Err(ApiError::NotFound);
    };
    match store
        .remove_contact(&caller(principal), &id.hyphenated().to_string())
        .await?
    {
        ContactRemoved::Removed => {
            forget_me(cache, principal.user_id()).await;
            Ok(())
        }
        ContactRemoved::NotFound => Err(ApiError::NotFound),
        ContactRemoved::LastOfItsKind { field } => Err(ApiError::LastContactOfItsKind {
            field: field.as_str(),
        }),
        ContactRemoved::SessionInactive => Err(ApiError::InvalidToken),
    }
}

/// A fresh proof of the account, as a sensitive change carries it:
/// `current_password`, or `reauth_proof` (from a `reauth` code), or
/// neither (refused unless the change needs none).
#[derive(Debug)]
pub enum AccountConfirmation {
    CurrentPassword(Password),
    ReauthProof(Secret<String>),
    Nothing,
}

impl AccountConfirmation {
    pub(super) fn parse(f: &mut Fields<'_>) -> Option<AccountConfirmation> {
        let raw_password = f.optional_text("current_password");
        let password = f.parsed("current_password", raw_password, Password::parse_for_login);
        let raw_proof = f.optional_text("reauth_proof");
        if raw_proof.is_some_and(|p| !tokens::is_opaque_token(p)) {
            f.fail("reauth_proof", "is not a proof this service gave");
            return None;
        }
        match (raw_password, password, raw_proof) {
            (Some(_), _, Some(_)) => {
                f.fail(
                    "reauth_proof",
                    "give current_password or reauth_proof, not both",
                );
                None
            }
            (Some(_), None, None) => None,
            (Some(_), Some(password), None) => Some(AccountConfirmation::CurrentPassword(password)),
            (None, _, Some(proof)) => Some(AccountConfirmation::ReauthProof(Secret::new(
                proof.to_string(),
            ))),
            (None, _, None) => Some(AccountConfirmation::Nothing),
        }
    }
}

/// `POST /auth/password`: `{current_password | reauth_proof, new_password}`.
#[derive(Debug)]
pub struct PasswordChange {
    pub confirmation: AccountConfirmation,
    pub new: Password,
}

impl PasswordChange {
    pub fn parse(body: &Value) -> Result<PasswordChange, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let confirmation = AccountConfirmation::parse(&mut f);
        let raw_new = f.text("new_password");
        let new = f.parsed("new_password", raw_new, Password::parse);
        if let (Some(AccountConfirmation::CurrentPassword(c)), Some(n)) = (&confirmation, &new) {
            if c.secret().expose() == n.secret().expose() {
                f.fail("new_password", "must differ from the current password");
            }
        }
        let all = (|| {
            Some(PasswordChange {
                confirmation: confirmation?,
                new: new?,
            })
        })();
        f.finish(all)
    }
}

/// `POST /auth/contacts`: `{type, value}` and a fresh proof of the account
/// (`current_password` or `reauth_proof`); a phone also `phone_proof`, the
/// proof of a `verify_phone` code the signed-in user asked for.
#[derive(Debug)]
pub struct NewContact {
    pub kind: ContactKind,
    /// Normalized as stored.
    pub value: String,
    pub confirmation: AccountConfirmation,
    /// A phone's: that this very phone received a code.
    pub phone_proof: Option<Secret<String>>,
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
        let phone_proof = if kind == Some(ContactKind::Phone) {
            let raw = f.text("phone_proof");
            if raw.is_some_and(|p| !tokens::is_opaque_token(p)) {
                f.fail("phone_proof", "is not a proof this service gave");
            }
            Some(
                raw.filter(|p| tokens::is_opaque_token(p))
                    .map(|p| Secret::new(p.to_string())),
            )
        } else {
            Some(None)
        };
        let confirmation = AccountConfirmation::parse(&mut f);
        let all = (|| {
            let kind = kind?;
            let phone_proof = phone_proof?;
            if kind == ContactKind::Phone && phone_proof.is_none() {
                return None;
            }
            Some(NewContact {
                kind,
                value: value?,
                confirmation: confirmation?,
                phone_proof,
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
    fn a_new_contact_is_normalized_by_its_type() {
        let proof = "p".repeat(43);
        let c = NewContact::parse(
            &json!({"type": "phone", "value": "8 (999) 123-45-67", "phone_proof": proof}),
            ru(),
        )
        .unwrap();
        assert_eq!(
            (c.kind, c.value.as_str()),
            (ContactKind::Phone, "+79991234567")
        );
        assert!(c.phone_proof.is_some());
        assert!(matches!(c.confirmation, AccountConfirmation::Nothing));
        // A phone takes the proof of its code as well.
        let e = NewContact::parse(
            &json!({"type": "phone", "value": "+79991234567", "current_password": "pw"}),
            ru(),
        )
        .unwrap_err();
        assert_eq!(fields(&e), vec!["phone_proof"]);
        let c = NewContact::parse(
            &json!({"type": "email", "value": "A@B.example", "current_password": "pw"}),
            ru(),
        )
        .unwrap();
        assert!(matches!(
            c.confirmation,
            AccountConfirmation::CurrentPassword(_)
        ));
        let e = NewContact::parse(&json!({"type": "fax", "value": "1"}), ru()).unwrap_err();
        assert_eq!(fields(&e), vec!["type"]);
    }

    #[test]
    fn a_sensitive_change_takes_one_proof_of_the_account() {
        let proof = "r".repeat(43);
        let c = NewContact::parse(
            &json!({"type": "email", "value": "a@b.example", "reauth_proof": proof}),
            ru(),
        )
        .unwrap();
        assert!(matches!(
            c.confirmation,
            AccountConfirmation::ReauthProof(_)
        ));
        let e = NewContact::parse(
            &json!({"type": "email", "value": "a@b.example", "reauth_proof": proof, "current_password": "pw"}),
            ru(),
        )
        .unwrap_err();
        assert_eq!(fields(&e), vec!["reauth_proof"]);
        let e = PasswordChange::parse(
            &json!({"reauth_proof": "short", "new_password": "a new password"}),
        )
        .unwrap_err();
        assert_eq!(fields(&e), vec!["reauth_proof"]);
        let p = PasswordChange::parse(&json!({"new_password": "a new password"})).unwrap();
        assert!(matches!(p.confirmation, AccountConfirmation::Nothing));
        assert!(
            !format!("{:?}", AccountConfirmation::ReauthProof(Secret::new(proof))).contains("rrrr")
        );
    }

    #[test]
    fn a_replaced_phone_is_told_only_the_last_digits_of_the_new_one() {
        assert_eq!(hidden_phone("+79991234567"), "+7••••••4567");
        assert_eq!(hidden_phone("+12"), "+12");
    }
}
