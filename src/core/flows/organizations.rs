//! Organizations: fleets and firms, their members and their heads. Staff
//! create and administer them; a head acts only on the members of the
//! organizations it heads, and anything beyond that answers 404, as if it
//! did not exist. Every decision is the database's, from the caller's
//! current roles and memberships.

use super::administration::{self, next_cursor, parse_uuid, PageQuery};
use super::fields::*;
use super::invitations;
use super::probes::parse_availability;
use super::registration::Registration;
use super::*;
use crate::core::identity::{Password, PhoneRegion};
use crate::core::ports::{
    MemberRef, MembersPage, MembershipOutcome, NewOrganization, OrganizationChanged,
    OrganizationCreated, OrganizationFound, OrganizationsPage,
};
use crate::core::problem::FieldError;
use serde_json::{json, Value};

/// The longest organization name, in characters (the database's CHECK).
pub const NAME_MAX_CHARS: usize = 200;

pub async fn create(
    config: &Config,
    store: &mut impl Store,
    events: &mut impl Events,
    principal: &Principal,
    request: &OrganizationRequest,
) -> Result<Value, ApiError> {
    let outcome = store
        .create_organization(
            &caller(principal),
            &NewOrganization {
                kind: &request.kind,
                service_type: request.service_type.as_deref(),
                name: &request.name,
                outbox_retry_seconds: config.outbox_retry_seconds()?,
            },
        )
        .await?;
    match outcome {
        OrganizationCreated::Created {
            organization,
            events: messages,
        } => {
            announce(store, events, &messages).await;
            Ok(organization)
        }
        OrganizationCreated::UnknownKind => Err(invalid("kind", "must be fleet or firm")),
        OrganizationCreated::NotAllowed => Err(ApiError::Forbidden {
            reason:
                "Only staff who may appoint its heads (superadmin, manager) create an organization.",
        }),
        OrganizationCreated::ServiceTypeRequired => Err(invalid(
            "service_type",
            "is required for a firm (order_service, waybill_service, grocery_store, …)",
        )),
        OrganizationCreated::ServiceTypeNotApplicable => {
            Err(invalid("service_type", "applies to firms only"))
        }
        OrganizationCreated::UnknownServiceType => {
            Err(invalid("service_type", "is not a known service type"))
        }
        OrganizationCreated::SessionInactive => Err(ApiError::InvalidToken),
    }
}

pub async fn list(
    store: &mut impl Store,
    principal: &Principal,
    page: &PageQuery,
) -> Result<Value, ApiError> {
    match store
        .list_organizations(&caller(principal), page.limit, page.after().as_ref())
        .await?
    {
        OrganizationsPage::Organizations { organizations } => {
            let next = next_cursor(&organizations, page.limit, "created_at", "id");
            Ok(json!({"organizations": organizations, "next_cursor": next}))
        }
        OrganizationsPage::NotStaff => Err(ApiError::Forbidden {
            reason: "Only staff (superadmin, support, manager) and heads of organizations may list organizations.",
        }),
        OrganizationsPage::SessionInactive => Err(ApiError::InvalidToken),
    }
}

pub async fn get(
    store: &mut impl Store,
    principal: &Principal,
    organization_id: &str,
) -> Result<Value, ApiError> {
    let id = id_in_path(organization_id)?;
    match store.organization(&caller(principal), &id).await? {
        OrganizationFound::Found { organization } => Ok(organization),
        OrganizationFound::NotFound => Err(ApiError::NotFound),
        OrganizationFound::SessionInactive => Err(ApiError::InvalidToken),
    }
}

/// Renames and/or (de)activates. Deactivating ends every session whose
/// tokens name the organization: they are recorded in Redis, by user,
/// before the transaction commits (if Redis cannot take them, nothing
/// changes: 503). Every member's `/me` changes with it.
pub async fn update(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl Revocations + MeCache),
    principal: &Principal,
    organization_id: &str,
    patch: &OrganizationPatch,
) -> Result<Value, ApiError> {
    let id = id_in_path(organization_id)?;
    let outcome = ending_sessions_of_anyone(config, store, cache, async |store| {
        store
            .update_organization(
                &caller(principal),
                &id,
                patch.name.as_deref(),
                patch.is_active,
            )
            .await
    })
    .await?;
    match outcome {
        OrganizationChanged::Changed {
            organization,
            members,
        } => {
            for member in &members {
                forget_me(cache, member).await;
            }
            Ok(organization)
        }
        OrganizationChanged::NotAllowed => Err(ApiError::Forbidden {
            reason:
                "Only staff who may appoint its heads (superadmin, manager) change an organization.",
        }),
        OrganizationChanged::NotFound => Err(ApiError::NotFound),
        OrganizationChanged::SessionInactive => Err(ApiError::InvalidToken),
    }
}

pub async fn members(
    store: &mut impl Store,
    principal: &Principal,
    organization_id: &str,
    page: &PageQuery,
) -> Result<Value, ApiError> {
    let id = id_in_path(organization_id)?;
    match store
        .list_members(&caller(principal), &id, page.limit, page.after().as_ref())
        .await?
    {
        MembersPage::Members { members } => {
            let next = next_cursor(&members, page.limit, "since", "user_id");
            Ok(json!({"members": members, "next_cursor": next}))
        }
        MembersPage::NotFound => Err(ApiError::NotFound),
        MembersPage::SessionInactive => Err(ApiError::InvalidToken),
    }
}

/// What adding a member answers: 201 and the membership when it started
/// now (or the user created there), 200 when the user already was a
/// member, 202 and one fixed body for a head's add of an existing user.
pub struct Joined {
    pub status: u16,
    pub body: Value,
}

/// Adds an existing user, or creates one there (the user joins in the same
/// transaction as they are created). A head's add of an existing user is
/// an invitation the person accepts or declines (`flows::invitations`),
/// answered 202 `{"status": "invited_if_eligible"}` whether or not one was
/// made: the head learns nothing of accounts beyond its reach.
pub async fn add_member(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl Events + Throttle + MeCache),
    principal: &Principal,
    organization_id: &str,
    request: MemberRequest,
) -> Result<Joined, ApiError> {
    let id = id_in_path(organization_id)?;
    let member = match request {
        MemberRequest::New(registration) => {
            // An organization the caller may not see is as absent here too.
            get(store, principal, &id).await?;
            let user = administration::create_user(
                config,
                store,
                cache,
                principal,
                *registration,
                Some(&id),
            )
            .await
            .map_err(|e| match e {
                // Seen, but not the caller's to add to (support), or inactive.
                ApiError::Validation(errors)
                    if errors.iter().any(|e| e.field == "organization_id") =>
                {
                    ApiError::Forbidden {
                        reason: "Only its heads and the staff who may appoint them add members, and only while it is active.",
                    }
                }
                other => other,
            })?;
            return Ok(Joined {
                status: 201,
                body: json!({"user": user}),
            });
        }
        MemberRequest::Existing(member) => member,
    };
    let outcome = store
        .add_member(
            &caller(principal),
            &id,
            &member,
            config.outbox_retry_seconds()?,
        )
        .await?;
    match outcome {
        MembershipOutcome::Added {
            membership,
            events: messages,
        } => {
            audit::security(SecurityEvent::MembershipStarted {
                membership: &membership,
                by: principal.user_id(),
            });
            announce(store, cache, &messages).await;
            forget_member(cache, &membership).await;
            Ok(Joined {
                status: 201,
                body: json!({"membership": membership}),
            })
        }
        MembershipOutcome::AlreadyMember { membership } => Ok(Joined {
            status: 200,
            body: json!({"membership": membership}),
        }),
        MembershipOutcome::Invited { invitation } => {
            audit::security(SecurityEvent::InvitationCreated {
                invitation: &invitation,
                by: principal.user_id(),
            });
            Ok(invitations::invited_if_eligible())
        }
        MembershipOutcome::NotInvited => Ok(invitations::invited_if_eligible()),
        other => Err(membership_refused(other)),
    }
}

/// Ends a membership: the member's sessions whose tokens name the
/// organization end with it (recorded in Redis before the commit); the
/// account and other memberships stay.
pub async fn end_membership(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl Revocations + MeCache + Events),
    principal: &Principal,
    organization_id: &str,
    member_id: &str,
) -> Result<(), ApiError> {
    let id = id_in_path(organization_id)?;
    let member = id_in_path(member_id)?;
    let retry = config.outbox_retry_seconds()?;
    let outcome = ending_sessions(config, store, cache, &member, None, async |store| {
        store
            .end_membership(&caller(principal), &id, &member, retry)
            .await
    })
    .await?;
    match outcome {
        MembershipOutcome::Ended {
            membership,
            events: messages,
        } => {
            audit::security(SecurityEvent::MembershipEnded {
                organization_id: &id,
                user_id: &member,
                by: principal.user_id(),
            });
            announce(store, cache, &messages).await;
            forget_member(cache, &membership).await;
            Ok(())
        }
        other => Err(membership_refused(other)),
    }
}

pub async fn appoint_head(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl Events + MeCache),
    principal: &Principal,
    organization_id: &str,
    request: &HeadRequest,
) -> Result<Value, ApiError> {
    let id = id_in_path(organization_id)?;
    let outcome = store
        .appoint_head(
            &caller(principal),
            &id,
            &request.user_id,
            config.outbox_retry_seconds()?,
        )
        .await?;
    match outcome {
        MembershipOutcome::Appointed {
            membership,
            events: messages,
        } => {
            audit::security(SecurityEvent::HeadAppointed {
                membership: &membership,
                by: principal.user_id(),
            });
            announce(store, cache, &messages).await;
            forget_member(cache, &membership).await;
            Ok(membership)
        }
        other => Err(membership_refused(other)),
    }
}

pub async fn dismiss_head(
    store: &mut impl Store,
    cache: &mut impl MeCache,
    principal: &Principal,
    organization_id: &str,
    member_id: &str,
) -> Result<Value, ApiError> {
    let id = id_in_path(organization_id)?;
    let member = id_in_path(member_id)?;
    match store.dismiss_head(&caller(principal), &id, &member).await? {
        MembershipOutcome::Dismissed { membership } => {
            audit::security(SecurityEvent::HeadDismissed {
                membership: &membership,
                by: principal.user_id(),
            });
            forget_member(cache, &membership).await;
            Ok(membership)
        }
        other => Err(membership_refused(other)),
    }
}

/// `/me` lists the user's organizations: a change of membership forgets it.
async fn forget_member(cache: &mut impl MeCache, membership: &Value) {
    if let Some(user) = membership["user_id"].as_str() {
        forget_me(cache, user).await;
    }
}

/// What a membership act answers when it did not happen. A success of
/// another act cannot come back from this one's function.
fn membership_refused(outcome: MembershipOutcome) -> ApiError {
    match outcome {
        MembershipOutcome::UserNotFound => ApiError::NotFound,
        MembershipOutcome::TargetOutOfReach => ApiError::Forbidden {
            reason: "A head removes the people its organization is for; fellow heads are staff's to manage.",
        },
        MembershipOutcome::OrganizationInactive => ApiError::OrganizationInactive,
        MembershipOutcome::NotAllowed => ApiError::Forbidden {
            reason: "Only its heads and the staff who may appoint them (superadmin, manager) manage an organization's members.",
        },
        MembershipOutcome::NotFound => ApiError::NotFound,
        MembershipOutcome::SessionInactive => ApiError::InvalidToken,
        MembershipOutcome::Added { .. }
        | MembershipOutcome::AlreadyMember { .. }
        | MembershipOutcome::Ended { .. }
        | MembershipOutcome::Appointed { .. }
        | MembershipOutcome::Dismissed { .. }
        | MembershipOutcome::Invited { .. }
        | MembershipOutcome::NotInvited => ApiError::internal(
            "organizations.refusal",
            "a membership change that went through was taken for a refusal",
        ),
    }
}

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new(field, message)])
}

/// `POST /organizations`: `{kind, service_type?, name}`.
#[derive(Debug, PartialEq, Eq)]
pub struct OrganizationRequest {
    pub kind: String,
    pub service_type: Option<String>,
    pub name: String,
}

/// A name as stored: trimmed, 1 to 200 characters, no control characters.
fn organization_name(raw: &str) -> Result<String, crate::core::identity::Invalid> {
    use crate::core::identity::Invalid;
    let name = raw.trim();
    if name.is_empty() {
        return Err(Invalid("must not be empty".into()));
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(Invalid("must be at most 200 characters".into()));
    }
    if name.chars().any(char::is_control) {
        return Err(Invalid("must not contain control characters".into()));
    }
    Ok(name.to_string())
}

/// A catalog name (kind, service type) as the client wrote it, or why not.
fn catalog_name(f: &mut Fields<'_>, field: &str, raw: Option<&str>) -> Option<String> {
    let name = raw?.trim().to_lowercase();
    if is_catalog_name(&name) {
        Some(name)
    } else {
        f.fail(field, "is not a known name");
        None
    }
}

impl OrganizationRequest {
    pub fn parse(body: &Value) -> Result<OrganizationRequest, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let raw_kind = f.text("kind");
        let kind = catalog_name(&mut f, "kind", raw_kind);
        // A fleet leaves it out; null is no service type's name.
        if f.body.get("service_type").is_some_and(Value::is_null) {
            f.fail(
                "service_type",
                "leave it out, or name a firm's service type",
            );
        }
        let raw_service = f.optional_text("service_type");
        let service_type = catalog_name(&mut f, "service_type", raw_service);
        let raw_name = f.text("name");
        let name = f.parsed("name", raw_name, organization_name);
        let all = (|| {
            Some(OrganizationRequest {
                kind: kind?,
                service_type,
                name: name?,
            })
        })();
        f.finish(all)
    }
}

/// `PATCH /organizations/{id}`: `{name?, is_active?}`, at least one.
#[derive(Debug, PartialEq, Eq)]
pub struct OrganizationPatch {
    pub name: Option<String>,
    pub is_active: Option<bool>,
}

impl OrganizationPatch {
    pub fn parse(body: &Value) -> Result<OrganizationPatch, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let raw_name = f.optional_text("name");
        let name = f.parsed("name", raw_name, organization_name);
        let is_active = match f.body.get("is_active") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                f.fail("is_active", "must be true or false");
                None
            }
        };
        if raw_name.is_none() && is_active.is_none() && f.errors.is_empty() {
            f.fail("name", "give a name or is_active to change");
        }
        f.finish(Some(OrganizationPatch { name, is_active }))
    }
}

/// `POST /organizations/{id}/members`: an existing user, by `user_id` or by
/// one contact (`second_login`, `phone` or `email`, any spelling), or a new
/// one, `new_user` (the fields of `POST /users`).
#[derive(Debug)]
pub enum MemberRequest {
    Existing(MemberRef),
    New(Box<Registration<Password>>),
}

const MEMBER_FORMS: &str = "give exactly one of user_id, second_login, phone, email or new_user";

impl MemberRequest {
    pub fn parse(body: &Value, region: PhoneRegion) -> Result<MemberRequest, Vec<FieldError>> {
        let Some(object) = body.as_object() else {
            return Err(vec![FieldError::new("", "the body must be a JSON object")]);
        };
        let forms = ["user_id", "second_login", "phone", "email", "new_user"];
        let given: Vec<&str> = forms
            .into_iter()
            .filter(|k| object.get(*k).is_some_and(|v| !v.is_null()))
            .collect();
        let [form] = given[..] else {
            return Err(vec![FieldError::new("", MEMBER_FORMS)]);
        };
        let value = &object[form];
        match (form, value) {
            ("new_user", Value::Object(_)) => Registration::parse_new_user(value, region)
                .map(|r| MemberRequest::New(Box::new(r)))
                .map_err(|errors| {
                    errors
                        .into_iter()
                        .map(|e| FieldError {
                            field: format!("new_user.{}", e.field),
                            ..e
                        })
                        .collect()
                }),
            ("new_user", _) => Err(vec![FieldError::new(
                "new_user",
                "must be an object with the fields of a new user",
            )]),
            ("user_id", Value::String(raw)) => parse_uuid(raw)
                .map(|id| MemberRequest::Existing(MemberRef::Id(id)))
                .ok_or_else(|| vec![FieldError::new("user_id", "is not a user id")]),
            (_, Value::String(raw)) => {
                let contact = parse_availability(&[(form.to_string(), raw.clone())], region)?;
                Ok(MemberRequest::Existing(MemberRef::Contact(
                    contact.kind,
                    contact.value,
                )))
            }
            _ => Err(vec![FieldError::new(form, "must be a string")]),
        }
    }
}

/// `POST /organizations/{id}/heads`: `{user_id}`.
#[derive(Debug, PartialEq, Eq)]
pub struct HeadRequest {
    pub user_id: String,
}

impl HeadRequest {
    pub fn parse(body: &Value) -> Result<HeadRequest, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let raw = f.text("user_id");
        let user_id = raw.and_then(|raw| {
            let id = parse_uuid(raw);
            if id.is_none() {
                f.fail("user_id", "is not a user id");
            }
            id
        });
        f.finish(user_id.map(|user_id| HeadRequest { user_id }))
    }
}

/// `organization_id` of `POST /users`: optional, a UUID.
pub fn parse_organization_field(body: &Value) -> Result<Option<String>, Vec<FieldError>> {
    match body.get("organization_id") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(raw)) => parse_uuid(raw).map(Some).ok_or_else(|| {
            vec![FieldError::new(
                "organization_id",
                "is not an organization id",
            )]
        }),
        Some(_) => Err(vec![FieldError::new("organization_id", "must be a string")]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ru() -> PhoneRegion {
        "RU".parse().unwrap()
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn an_organization_has_a_kind_and_a_trimmed_name() {
        let r = OrganizationRequest::parse(
            &json!({"kind": " Firm ", "service_type": "grocery_store", "name": "  Green Grocer  "}),
        )
        .unwrap();
        assert_eq!(r.kind, "firm");
        assert_eq!(r.service_type.as_deref(), Some("grocery_store"));
        assert_eq!(r.name, "Green Grocer");
        let e = OrganizationRequest::parse(&json!({"kind": "x'--", "name": " "})).unwrap_err();
        assert_eq!(fields(&e), vec!["kind", "name"]);
        let long = "я".repeat(201);
        let e = OrganizationRequest::parse(&json!({"kind": "fleet", "name": long})).unwrap_err();
        assert_eq!(fields(&e), vec!["name"]);
        let ok = "я".repeat(200);
        assert!(OrganizationRequest::parse(&json!({"kind": "fleet", "name": ok})).is_ok());
        let e =
            OrganizationRequest::parse(&json!({"kind": "fleet", "name": "a\u{7}b"})).unwrap_err();
        assert_eq!(fields(&e), vec!["name"]);
        let null = json!({"kind": "fleet", "name": "North", "service_type": null});
        let e = OrganizationRequest::parse(&null).unwrap_err();
        assert_eq!(fields(&e), vec!["service_type"], "a fleet leaves it out");
    }

    #[test]
    fn a_patch_changes_something() {
        assert!(OrganizationPatch::parse(&json!({})).is_err());
        let p = OrganizationPatch::parse(&json!({"is_active": false})).unwrap();
        assert_eq!((p.name, p.is_active), (None, Some(false)));
        let e = OrganizationPatch::parse(&json!({"is_active": "no", "name": ""})).unwrap_err();
        assert_eq!(fields(&e), vec!["name", "is_active"]);
    }

    #[test]
    fn a_member_is_named_one_way_only() {
        let id = "0b4f6c5e-1d2a-4c3b-9e8f-7a6b5c4d3e2f";
        match MemberRequest::parse(&json!({"user_id": id.to_uppercase()}), ru()).unwrap() {
            MemberRequest::Existing(MemberRef::Id(got)) => assert_eq!(got, id),
            other => panic!("{other:?}"),
        }
        match MemberRequest::parse(&json!({"phone": "8 (999) 123-45-67"}), ru()).unwrap() {
            MemberRequest::Existing(MemberRef::Contact(kind, value)) => {
                assert_eq!((kind.as_str(), value.as_str()), ("phone", "+79991234567"))
            }
            other => panic!("{other:?}"),
        }
        assert!(
            MemberRequest::parse(&json!({"user_id": id, "phone": "+79991234567"}), ru()).is_err()
        );
        assert!(MemberRequest::parse(&json!({}), ru()).is_err());
        assert!(MemberRequest::parse(&json!({"user_id": "not-a-uuid"}), ru()).is_err());
        let e =
            MemberRequest::parse(&json!({"new_user": {"second_login": "1x"}}), ru()).unwrap_err();
        assert!(
            fields(&e).iter().all(|f| f.starts_with("new_user.")),
            "{e:?}"
        );
        assert!(fields(&e).contains(&"new_user.second_login"));
    }
}
