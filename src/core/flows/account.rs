//! The signed-in user's own account: `/auth/me`, the password, contacts.

use super::fields::*;
use super::*;
use crate::core::config::Config;
use crate::core::guard::Principal;
use crate::core::identity::{Email, Password, Phone, PhoneRegion, SecondLogin};
use crate::core::passwords;
use crate::core::ports::{
    ClientInfo, ContactAdded, ContactKind, ContactRemoved, MeCache, MeLookup,
    PasswordChangeOutcome, PhoneProven, Revocations, Store, Throttle,
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

pub async fn change_password(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl Revocations + Throttle),
    principal: &Principal,
    request: PasswordChange,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let not_current = || {
        ApiError::Validation(vec![FieldError::new(
            "current_password",
            "is not your current password",
        )])
    };
    let credentials =
        inactive_is_unauthenticated(store.password_credentials(&caller(principal)).await?)?;
    // A phone-only account has no password to give yet: it sets its first.
    let checked_hash = match (&credentials.password_hash, &request.current) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(ApiError::Validation(vec![FieldError::new(
                "current_password",
                "is required",
            )]))
        }
        (Some(_), Some(current)) => {
            let verified =
                check_current_password(config, cache, &credentials, current, client).await?;
            Some(verified.ok_or_else(not_current)?)
        }
    };
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
    let hash =
        passwords::hash(&request.new, config.bcrypt_cost()?).map_err(|_| ApiError::Internal)?;
    // The user's other sessions end: mirrored before the change commits.
    let outcome = ending_sessions(
        config,
        store,
        cache,
        principal.user_id(),
        None,
        async |store| {
            store
                .change_password(&caller(principal), checked_hash, hash.expose())
                .await
        },
    )
    .await?;
    match outcome {
        PasswordChangeOutcome::Changed => {
            audit::security(SecurityEvent::PasswordChanged {
                user_id: principal.user_id(),
            });
            Ok(())
        }
        PasswordChangeOutcome::SessionInactive => Err(ApiError::InvalidToken),
        // A racing change won: the password verified above is no longer current.
        PasswordChangeOutcome::CredentialsChanged => Err(not_current()),
    }
}

/// Adds a contact for the signed-in user, after checking their password.
pub async fn add_contact(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl MeCache + Throttle),
    principal: &Principal,
    request: NewContact,
    client: &ClientInfo,
) -> Result<Value, ApiError> {
    let not_current = || {
        ApiError::Validation(vec![FieldError::new(
            "current_password",
            "is not your current password",
        )])
    };
    let current_password = match &request.proof {
        ContactProof::PhoneProof(proof) => {
            let proof_hash = tokens::hash_refresh_token(proof.expose());
            return match store
                .add_verified_phone(&caller(principal), &proof_hash, &request.value)
                .await?
            {
                PhoneProven::Added { contact } => {
                    forget_me(cache, principal.user_id()).await;
                    Ok(contact)
                }
                PhoneProven::Taken { field } => Err(ApiError::Conflict {
                    field: field.as_str().to_string(),
                }),
                PhoneProven::ProofInvalid => Err(ApiError::Validation(vec![FieldError::new(
                    "phone_proof",
                    "is not a valid proof for this phone: request and verify a verify_phone code again",
                )])),
                PhoneProven::SessionInactive => Err(ApiError::InvalidToken),
            };
        }
        ContactProof::CurrentPassword(password) => password,
    };
    let credentials =
        inactive_is_unauthenticated(store.password_credentials(&caller(principal)).await?)?;
    let verified =
        check_current_password(config, cache, &credentials, current_password, client).await?;
    let checked = verified.ok_or_else(not_current)?;
    match store
        .add_contact(&caller(principal), checked, request.kind, &request.value)
        .await?
    {
        ContactAdded::Added { contact } => {
            forget_me(cache, principal.user_id()).await;
            Ok(contact)
        }
        ContactAdded::Taken { field } => Err(ApiError::Conflict {
            field: field.as_str().to_string(),
        }),
        ContactAdded::SessionInactive => Err(ApiError::InvalidToken),
        ContactAdded::CredentialsChanged => Err(not_current()),
    }
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

#[derive(Debug)]
pub struct PasswordChange {
    /// Required unless the account has no password yet (phone-only).
    pub current: Option<Password>,
    pub new: Password,
}

impl PasswordChange {
    pub fn parse(body: &Value) -> Result<PasswordChange, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let raw_current = f.optional_text("current_password");
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
                current: if raw_current.is_some() {
                    Some(current?)
                } else {
                    None
                },
                new: new?,
            })
        })();
        f.finish(all)
    }
}

/// `POST /auth/contacts`: `{type, value, current_password}`, or for a phone
/// `{type: "phone", value, phone_proof}`. The password proves the person at
/// the keyboard is the account's owner; a phone is proven by the code it
/// received (a `verify_phone` proof) instead.
#[derive(Debug)]
pub struct NewContact {
    pub kind: ContactKind,
    /// Normalized as stored.
    pub value: String,
    pub proof: ContactProof,
}

#[derive(Debug)]
pub enum ContactProof {
    CurrentPassword(Password),
    /// A `verify_phone` proof of this very phone.
    PhoneProof(Secret<String>),
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
        let proof = if kind == Some(ContactKind::Phone) {
            let raw = f.text("phone_proof");
            if raw.is_some_and(|p| !tokens::is_opaque_token(p)) {
                f.fail("phone_proof", "is not a proof this service gave");
            }
            raw.filter(|p| tokens::is_opaque_token(p))
                .map(|p| ContactProof::PhoneProof(Secret::new(p.to_string())))
        } else {
            let raw_password = f.text("current_password");
            f.parsed("current_password", raw_password, Password::parse_for_login)
                .map(ContactProof::CurrentPassword)
        };
        let all = (|| {
            Some(NewContact {
                kind: kind?,
                value: value?,
                proof: proof?,
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
        assert!(matches!(c.proof, ContactProof::PhoneProof(_)));
        // A phone takes the proof of its code, not the password.
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
        assert!(matches!(c.proof, ContactProof::CurrentPassword(_)));
        let e = NewContact::parse(&json!({"type": "fax", "value": "1"}), ru()).unwrap_err();
        assert_eq!(fields(&e), vec!["type", "current_password"]);
    }
}
