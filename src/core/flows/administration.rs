//! User administration by staff and heads: the roles one may grant, the
//! users one may see, create, give roles to, deactivate.

use super::fields::*;
use super::probes::{parse_availability, AvailabilityQuery};
use super::registration::Registration;
use super::*;
use crate::core::abuse::{self};
use crate::core::config::Config;
use crate::core::guard::Principal;
use crate::core::identity::{Password, PhoneRegion};
use crate::core::passwords;
use crate::core::ports::{
    Events, GrantableRoles, MeCache, NewUser, PageAfter, Revocations, Role, Store, Throttle,
    UserChanged, UserCreated, UsersFilter, UsersPage,
};
use crate::core::problem::{ApiError, FieldError};
use serde_json::{json, Value};

/// The roles the signed-in caller may grant, as the database has their
/// memberships now.
pub async fn grantable_roles(
    store: &mut impl Store,
    principal: &Principal,
) -> Result<Vec<Role>, ApiError> {
    match store.grantable_roles(&caller(principal)).await? {
        GrantableRoles::Roles { roles } => Ok(roles),
        GrantableRoles::SessionInactive => Err(ApiError::InvalidToken),
    }
}

/// One page of users for staff, with the cursor of the next page (none on
/// the last one).
pub async fn list_users(
    store: &mut impl Store,
    principal: &Principal,
    query: &UsersQuery,
) -> Result<Value, ApiError> {
    let filter = UsersFilter {
        limit: query.limit,
        after: query
            .after
            .as_ref()
            .map(|(created_at, id)| PageAfter { created_at, id }),
        role: query.role.as_deref(),
        contact: query.contact.as_ref().map(|c| (c.kind, c.value.as_str())),
        organization_id: query.organization_id.as_deref(),
    };
    match store.list_users(&caller(principal), &filter).await? {
        UsersPage::Users { users } => {
            let next = next_cursor(&users, query.limit, "created_at", "id");
            Ok(json!({"users": users, "next_cursor": next}))
        }
        UsersPage::NotStaff => Err(ApiError::Forbidden {
            reason: "Only staff (superadmin, support, manager) and heads of organizations may list users.",
        }),
        UsersPage::SessionInactive => Err(ApiError::InvalidToken),
    }
}

/// The cursor of the page after `items` (none when the page was not full):
/// the position (`at`, `id`) of its last item.
pub(super) fn next_cursor(items: &[Value], limit: u32, at: &str, id: &str) -> Value {
    match items.last() {
        Some(last) if items.len() as u32 == limit => Value::String(users_cursor(
            last[at].as_str().unwrap_or_default(),
            last[id].as_str().unwrap_or_default(),
        )),
        _ => Value::Null,
    }
}

/// A grantor creates a user with roles they may grant; no tokens are issued.
/// A head's user joins the organization it heads (the one named, or its
/// only one) in the same transaction.
pub async fn create_user(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl Events + Throttle),
    principal: &Principal,
    request: Registration<Password>,
    organization_id: Option<&str>,
) -> Result<Value, ApiError> {
    // Each creation costs a bcrypt hash: bounded per caller before it runs.
    let window = abuse::create_user_window(config.limits()?, principal.user_id());
    admit(cache, &[window]).await?;
    let password_hash = passwords::hash(&request.credential, config.bcrypt_cost()?)
        .map_err(|e| ApiError::internal("create_user.hash_password", e))?;
    let outcome = store
        .create_user(
            &caller(principal),
            &NewUser {
                second_login: request.second_login.as_str(),
                phone: request.phone.as_str(),
                email: request.email.as_ref().map(|e| e.as_str()),
                password_hash: password_hash.expose(),
                profile: &request.profile,
                group_names: &request.group_names,
                organization_id,
                outbox_retry_seconds: config.outbox_retry_seconds()?,
            },
        )
        .await?;
    match outcome {
        UserCreated::Created {
            user,
            events: messages,
        } => {
            announce(store, cache, &messages).await;
            Ok(user)
        }
        UserCreated::RolesNotAllowed { roles } => Err(ApiError::RolesNotAllowed { roles }),
        UserCreated::OrganizationRequired => Err(ApiError::Validation(vec![FieldError::new(
            "organization_id",
            "name the organization the user joins: you head several",
        )])),
        UserCreated::OrganizationOutOfReach => Err(ApiError::Validation(vec![FieldError::new(
            "organization_id",
            "is not an active organization you administer or head",
        )])),
        UserCreated::Taken { field } => Err(ApiError::Conflict {
            field: field.as_str().to_string(),
        }),
        UserCreated::SessionInactive => Err(ApiError::InvalidToken),
    }
}

/// What a change of another user answers, as the client hears it.
fn user_changed(outcome: UserChanged) -> Result<Value, ApiError> {
    match outcome {
        UserChanged::Changed { now } => Ok(Value::Object(now)),
        UserChanged::RolesNotAllowed { roles } => Err(ApiError::RolesNotAllowed { roles }),
        UserChanged::TargetOutOfReach => Err(ApiError::Forbidden {
            reason: "This user holds a role you may not grant, or is you.",
        }),
        UserChanged::StaffOnly => Err(ApiError::Forbidden {
            reason: "Only staff activate or deactivate accounts; a head ends a membership instead.",
        }),
        UserChanged::NoRoleLeft => Err(ApiError::Validation(vec![FieldError::new(
            "remove",
            "a user keeps at least one role",
        )])),
        UserChanged::OwnLastStaffRole => Err(ApiError::Validation(vec![FieldError::new(
            "remove",
            "you cannot remove your own last staff role",
        )])),
        UserChanged::NotFound => Err(ApiError::NotFound),
        UserChanged::SessionInactive => Err(ApiError::InvalidToken),
    }
}

pub async fn change_user_roles(
    store: &mut impl Store,
    cache: &mut impl MeCache,
    principal: &Principal,
    target: &str,
    change: &RoleChange,
) -> Result<Value, ApiError> {
    let target = id_in_path(target)?;
    let now = user_changed(
        store
            .change_user_roles(&caller(principal), &target, &change.add, &change.remove)
            .await?,
    )?;
    forget_me(cache, &target).await;
    Ok(now)
}

pub async fn set_user_active(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl Revocations + MeCache),
    principal: &Principal,
    target: &str,
    active: bool,
) -> Result<Value, ApiError> {
    let target = id_in_path(target)?;
    // Deactivation ends every session of the user: mirrored before it commits.
    let now = user_changed(
        ending_sessions(config, store, cache, &target, None, async |store| {
            store
                .set_user_active(&caller(principal), &target, active)
                .await
        })
        .await?,
    )?;
    forget_me(cache, &target).await;
    Ok(now)
}

/// `POST /users/{id}/roles`: `{add: [], remove: []}`, at least one role.
#[derive(Debug)]
pub struct RoleChange {
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

impl RoleChange {
    pub fn parse(body: &Value) -> Result<RoleChange, Vec<FieldError>> {
        let mut f = Fields::of(body)?;
        let add = role_names(&mut f, "add", false);
        let remove = role_names(&mut f, "remove", false);
        if let (Some(add), Some(remove)) = (&add, &remove) {
            if add.is_empty() && remove.is_empty() {
                f.fail("add", "name a role to add or to remove");
            }
            if add.iter().any(|r| remove.contains(r)) {
                f.fail("remove", "a role cannot be added and removed at once");
            }
        }
        let all = (|| {
            Some(RoleChange {
                add: add?,
                remove: remove?,
            })
        })();
        f.finish(all)
    }
}

/// `PATCH /users/{id}`: `{is_active: bool}`.
pub fn parse_user_patch(body: &Value) -> Result<bool, Vec<FieldError>> {
    match body.get("is_active") {
        Some(Value::Bool(active)) => Ok(*active),
        _ => Err(vec![FieldError::new("is_active", "must be true or false")]),
    }
}

/// `GET /users?limit=&cursor=&role=&second_login=|phone=|email=`.
#[derive(Debug, PartialEq, Eq)]
pub struct UsersQuery {
    pub limit: u32,
    /// After this (created_at, id), from the opaque cursor.
    pub after: Option<(String, String)>,
    pub role: Option<String>,
    pub contact: Option<AvailabilityQuery>,
    pub organization_id: Option<String>,
}

/// `?limit=&cursor=` of a keyset-paginated list.
#[derive(Debug, PartialEq, Eq)]
pub struct PageQuery {
    pub limit: u32,
    /// After this (instant, id), from the opaque cursor.
    pub after: Option<(String, String)>,
}

impl PageQuery {
    pub fn parse(query: &[(String, String)]) -> Result<PageQuery, Vec<FieldError>> {
        let mut errors = Vec::new();
        let page = PageQuery::read(query, &mut errors);
        if errors.is_empty() {
            Ok(page)
        } else {
            Err(errors)
        }
    }

    pub fn after(&self) -> Option<PageAfter<'_>> {
        self.after
            .as_ref()
            .map(|(created_at, id)| PageAfter { created_at, id })
    }

    fn read(query: &[(String, String)], errors: &mut Vec<FieldError>) -> PageQuery {
        let get = |name: &str| query_value(query, name);
        let limit = match get("limit").map(str::parse::<u32>) {
            None => USERS_PAGE_DEFAULT,
            Some(Ok(n)) if (1..=USERS_PAGE_MAX).contains(&n) => n,
            Some(_) => {
                errors.push(FieldError::new(
                    "limit",
                    "must be a whole number from 1 to 100",
                ));
                0
            }
        };
        let after = get("cursor").and_then(|c| {
            use base64::Engine;
            let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            let pair = decoded
                .as_deref()
                .and_then(|d| d.split_once('|'))
                .and_then(|(at, id)| {
                    let id = uuid::Uuid::try_parse(id).ok()?;
                    Some((cursor_instant(at)?, id.hyphenated().to_string()))
                });
            if pair.is_none() {
                errors.push(FieldError::new(
                    "cursor",
                    "is not a cursor this service gave",
                ));
            }
            pair
        });
        PageQuery { limit, after }
    }
}

fn query_value<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// An id in a query or body, as the database spells it; `None` if it is no
/// UUID.
pub(super) fn parse_uuid(raw: &str) -> Option<String> {
    uuid::Uuid::try_parse(raw.trim())
        .ok()
        .map(|id| id.hyphenated().to_string())
}

pub const USERS_PAGE_MAX: u32 = 100;

const USERS_PAGE_DEFAULT: u32 = 50;

/// A cursor's `created_at` as an instant PostgreSQL can read: RFC 3339 (as
/// PostgreSQL writes a `timestamptz` in JSON), rewritten in UTC with
/// microseconds, year 1 to 9999. Nothing else reaches the database.
fn cursor_instant(at: &str) -> Option<String> {
    use chrono::{DateTime, Datelike, Utc};
    let instant = DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc);
    (1..=9999)
        .contains(&instant.year())
        .then(|| instant.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string())
}

/// The opaque cursor of the page after the user with this (created_at, id).
pub fn users_cursor(created_at: &str, id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{created_at}|{id}"))
}

impl UsersQuery {
    pub fn parse(
        query: &[(String, String)],
        region: PhoneRegion,
    ) -> Result<UsersQuery, Vec<FieldError>> {
        let get = |name: &str| query_value(query, name);
        let mut errors = Vec::new();
        let PageQuery { limit, after } = PageQuery::read(query, &mut errors);
        let organization_id = get("organization_id").map(|raw| {
            let id = parse_uuid(raw);
            if id.is_none() {
                errors.push(FieldError::new(
                    "organization_id",
                    "is not an organization id",
                ));
            }
            id
        });
        let role = get("role").map(|r| r.trim().to_lowercase());
        if role.as_deref().is_some_and(|r| !is_catalog_name(r)) {
            errors.push(FieldError::new("role", "is not a role name"));
        }
        let contact_pairs: Vec<(String, String)> = query
            .iter()
            .filter(|(k, _)| matches!(k.as_str(), "second_login" | "phone" | "email"))
            .cloned()
            .collect();
        let contact = if contact_pairs.is_empty() {
            None
        } else {
            match parse_availability(&contact_pairs, region) {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.extend(e);
                    None
                }
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(UsersQuery {
            limit,
            after,
            role,
            contact,
            organization_id: organization_id.flatten(),
        })
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
    fn a_users_cursor_comes_back_as_the_page_position_it_was() {
        let id = "0b4f6c5e-1d2a-4c3b-9e8f-7a6b5c4d3e2f";
        let cursor = users_cursor("2026-11-22T13:05:42.410788+00:00", id);
        let q = UsersQuery::parse(&[("cursor".into(), cursor)], ru()).unwrap();
        assert_eq!(
            q.after,
            Some(("2026-11-22T13:05:42.410788+00:00".into(), id.into()))
        );
        assert_eq!(q.limit, 50);
        // Another offset: the same instant, in UTC.
        let moscow = users_cursor("2026-11-22T16:05:42.41+03:00", id);
        let q = UsersQuery::parse(&[("cursor".into(), moscow)], ru()).unwrap();
        assert_eq!(q.after.unwrap().0, "2026-11-22T13:05:42.410000+00:00");
        for bad in [
            "bm9wZQ",
            "!!",
            &users_cursor("x'; DROP", id),
            &users_cursor("9999-99-99", id),
            &users_cursor("2025-02-29T00:00:00+00:00", id),
            &users_cursor("0000-01-01T00:00:00+00:00", id),
            &users_cursor("2026-11-22T24:00:00+00:00", id),
            &users_cursor("0001-01-01T00:30:00+01:00", id),
            &users_cursor("", id),
        ] {
            let e = UsersQuery::parse(&[("cursor".into(), bad.to_string())], ru()).unwrap_err();
            assert_eq!(fields(&e), vec!["cursor"]);
        }
        let e = UsersQuery::parse(&[("limit".into(), "101".into())], ru()).unwrap_err();
        assert_eq!(fields(&e), vec!["limit"]);
        let q = UsersQuery::parse(&[("phone".into(), "8 999 123 45 67".into())], ru()).unwrap();
        assert_eq!(q.contact.unwrap().value, "+79991234567");
    }

    #[test]
    fn a_role_change_names_roles_to_add_or_remove() {
        let c = RoleChange::parse(&json!({"add": ["Driver", "driver"], "remove": []})).unwrap();
        assert_eq!((c.add, c.remove), (vec!["driver".to_string()], vec![]));
        assert!(RoleChange::parse(&json!({})).is_err());
        assert!(RoleChange::parse(&json!({"add": ["driver"], "remove": ["driver"]})).is_err());
        assert!(RoleChange::parse(&json!({"add": ["x\0"]})).is_err());
    }
}
