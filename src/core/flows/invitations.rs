//! Invitations: a head does not take an existing person into its
//! organization, it invites them (`POST /organizations/{id}/members`), and
//! the person joins by accepting (as Keycloak and Auth0 Organizations do).
//! The head's add answers the same whether or not an invitation was made,
//! so that it tells no accounts apart. The invited person lists, accepts
//! or declines their own invitations here; anyone else's is 404. Accepting
//! makes the checks of the invitation again, now.

use super::organizations::Joined;
use super::*;
use crate::core::ports::{InvitationAnswer, InvitationsPage};
use serde_json::{json, Value};

/// The one answer of a head's add of an existing user, invited or not.
pub const INVITED_IF_ELIGIBLE: &str = "invited_if_eligible";

/// 202 `{"status": "invited_if_eligible"}`: an invitation was made if the
/// person may be invited (active, of no organization, holding a role the
/// head grants there, not already invited), and nothing tells which.
pub fn invited_if_eligible() -> Joined {
    Joined {
        status: 202,
        body: json!({ "status": INVITED_IF_ELIGIBLE }),
    }
}

/// `GET /auth/invitations`: the caller's pending, unexpired invitations.
pub async fn list(store: &mut impl Store, principal: &Principal) -> Result<Value, ApiError> {
    match store.list_invitations(&caller(principal)).await? {
        InvitationsPage::Invitations { invitations } => Ok(json!({ "invitations": invitations })),
        InvitationsPage::SessionInactive => Err(ApiError::InvalidToken),
    }
}

/// `POST /auth/invitations/{id}/accept`: the membership starts now, with its
/// `membership.started` event; the answer is the membership.
pub async fn accept(
    config: &Config,
    store: &mut impl Store,
    cache: &mut (impl Events + MeCache),
    principal: &Principal,
    invitation_id: &str,
) -> Result<Value, ApiError> {
    let id = id_in_path(invitation_id)?;
    let outcome = store
        .accept_invitation(&caller(principal), &id, config.outbox_retry_seconds()?)
        .await?;
    match outcome {
        InvitationAnswer::Accepted {
            invitation,
            membership,
            events: messages,
        } => {
            audit::security(SecurityEvent::InvitationAccepted {
                invitation: &invitation,
            });
            if !messages.is_empty() {
                audit::security(SecurityEvent::MembershipStarted {
                    membership: &membership,
                    by: principal.user_id(),
                });
            }
            announce(store, cache, &messages).await;
            forget_me(cache, principal.user_id()).await;
            Ok(membership)
        }
        other => Err(refused(other)),
    }
}

/// `POST /auth/invitations/{id}/decline`: kept as history; the head may
/// invite again.
pub async fn decline(
    store: &mut impl Store,
    principal: &Principal,
    invitation_id: &str,
) -> Result<(), ApiError> {
    let id = id_in_path(invitation_id)?;
    match store.decline_invitation(&caller(principal), &id).await? {
        InvitationAnswer::Declined { invitation } => {
            audit::security(SecurityEvent::InvitationDeclined {
                invitation: &invitation,
            });
            Ok(())
        }
        other => Err(refused(other)),
    }
}

/// What an answer to an invitation is when it did not happen. A success of
/// the other answer cannot come back from this one's function.
fn refused(outcome: InvitationAnswer) -> ApiError {
    match outcome {
        InvitationAnswer::OrganizationInactive => ApiError::OrganizationInactive,
        InvitationAnswer::MemberElsewhere => ApiError::CannotJoin {
            reason: "You are a member of another organization now: leave it first (the invitation stays open until it expires).",
        },
        InvitationAnswer::NotEligible => ApiError::CannotJoin {
            reason: "Your roles changed since you were invited: this organization is not for them now (the invitation stays open until it expires).",
        },
        InvitationAnswer::NotFound => ApiError::NotFound,
        InvitationAnswer::SessionInactive => ApiError::InvalidToken,
        InvitationAnswer::Accepted { .. } | InvitationAnswer::Declined { .. } => {
            ApiError::internal(
                "invitations.refusal",
                "an answered invitation was taken for a refusal",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heads_add_has_one_answer() {
        let joined = invited_if_eligible();
        assert_eq!(joined.status, 202);
        assert_eq!(
            joined.body.to_string(),
            r#"{"status":"invited_if_eligible"}"#
        );
    }

    #[test]
    fn an_invitation_that_cannot_be_accepted_now_is_a_conflict() {
        for outcome in [
            InvitationAnswer::OrganizationInactive,
            InvitationAnswer::MemberElsewhere,
            InvitationAnswer::NotEligible,
        ] {
            assert_eq!(refused(outcome).status(), 409);
        }
        assert_eq!(refused(InvitationAnswer::NotFound).status(), 404);
        assert_eq!(refused(InvitationAnswer::SessionInactive).status(), 401);
    }
}
