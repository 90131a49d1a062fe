//! The service's own log lines: one JSON object per line on stdout, which
//! Spin keeps in its log directory (and forwards to OpenTelemetry when an
//! OTLP endpoint is set). Three kinds: `request` and `error` (written by the
//! HTTP edge: every request's line, and where and why one failed on our
//! side) and `security` (written here, by the flows). Ids, statuses, addresses
//! and times only: never a password, token, code, hash or login.

use crate::core::problem::ApiError;
use serde_json::{json, Map, Value};

/// Something a security team wants to see, as it happens.
pub enum SecurityEvent<'a> {
    /// A request refused by the lockout or a rate limit: the counters it
    /// met (logins among them only as a hash, as Redis keeps them).
    Throttled {
        counters: Vec<&'a str>,
        retry_after_seconds: u32,
    },
    /// A consumed refresh token came back: its session was ended.
    RefreshReplayDetected {
        user_id: &'a str,
        session_id: &'a str,
    },
    LoggedOutEverywhere {
        user_id: &'a str,
    },
    PasswordChanged {
        user_id: &'a str,
    },
    /// A first password, on an account that signed in by phone codes.
    PasswordSet {
        user_id: &'a str,
    },
    /// A way to sign in added or replaced (`kind`: second_login, email,
    /// phone); the user's other sessions ended.
    ContactChanged {
        user_id: &'a str,
        kind: &'a str,
    },
    /// Whoever proved a phone took it from an account that held it
    /// unverified (SPEC §2).
    UnverifiedContactTaken {
        kind: &'a str,
        from_user_id: &'a str,
        by_user_id: &'a str,
    },
    /// An email proved by its link.
    EmailVerified {
        user_id: &'a str,
    },
    /// A forgotten password replaced through a recovery code (`via`:
    /// `sms`) or link (`email`); every session of the user ended.
    PasswordReset {
        user_id: &'a str,
        via: &'a str,
    },
    /// A second factor turned on (enrolment confirmed) or off; the user's
    /// other sessions ended.
    SecondFactorEnrolled {
        user_id: &'a str,
    },
    SecondFactorRemoved {
        user_id: &'a str,
    },
    /// A sign-in finished with a recovery code of the second factor.
    RecoveryCodeUsed {
        user_id: &'a str,
        left: u32,
    },
    /// The hourly SMS budget is spent: code requests answer 503 until the
    /// hour ends (logged once per hour).
    SmsBudgetSpent {
        limit: u32,
        retry_after_seconds: u32,
    },
    MembershipStarted {
        membership: &'a Value,
        by: &'a str,
    },
    MembershipEnded {
        organization_id: &'a str,
        user_id: &'a str,
        by: &'a str,
    },
    HeadAppointed {
        membership: &'a Value,
        by: &'a str,
    },
    HeadDismissed {
        membership: &'a Value,
        by: &'a str,
    },
    /// A head invited an existing user (`{id, organization_id, user_id}`).
    InvitationCreated {
        invitation: &'a Value,
        by: &'a str,
    },
    /// The invited user accepted (a membership started) or declined.
    InvitationAccepted {
        invitation: &'a Value,
    },
    InvitationDeclined {
        invitation: &'a Value,
    },
}

impl SecurityEvent<'_> {
    fn fields(&self) -> (&'static str, Value) {
        let member = |m: &Value, by: &str| json!({"organization_id": m["organization_id"], "user_id": m["user_id"], "by": by});
        let invited = |i: &Value, by: Option<&str>| {
            let mut fields = json!({"invitation_id": i["id"], "organization_id": i["organization_id"], "user_id": i["user_id"]});
            if let Some(by) = by {
                fields["by"] = json!(by);
            }
            fields
        };
        match self {
            SecurityEvent::Throttled {
                counters,
                retry_after_seconds,
            } => (
                "throttled",
                json!({"counters": counters, "retry_after_seconds": retry_after_seconds}),
            ),
            SecurityEvent::RefreshReplayDetected {
                user_id,
                session_id,
            } => (
                "refresh_replay_detected",
                json!({"user_id": user_id, "session_id": session_id}),
            ),
            SecurityEvent::LoggedOutEverywhere { user_id } => {
                ("logout_all", json!({"user_id": user_id}))
            }
            SecurityEvent::PasswordChanged { user_id } => {
                ("password_changed", json!({"user_id": user_id}))
            }
            SecurityEvent::PasswordSet { user_id } => ("password.set", json!({"user_id": user_id})),
            SecurityEvent::ContactChanged { user_id, kind } => {
                ("contact.changed", json!({"user_id": user_id, "type": kind}))
            }
            SecurityEvent::UnverifiedContactTaken {
                kind,
                from_user_id,
                by_user_id,
            } => (
                "contact.unverified_taken",
                json!({"type": kind, "from_user_id": from_user_id, "by_user_id": by_user_id}),
            ),
            SecurityEvent::EmailVerified { user_id } => {
                ("email.verified", json!({"user_id": user_id}))
            }
            SecurityEvent::PasswordReset { user_id, via } => {
                ("password.reset", json!({"user_id": user_id, "via": via}))
            }
            SecurityEvent::SecondFactorEnrolled { user_id } => {
                ("mfa.enrolled", json!({"user_id": user_id}))
            }
            SecurityEvent::SecondFactorRemoved { user_id } => {
                ("mfa.removed", json!({"user_id": user_id}))
            }
            SecurityEvent::RecoveryCodeUsed { user_id, left } => (
                "mfa.recovery_code_used",
                json!({"user_id": user_id, "recovery_codes_left": left}),
            ),
            SecurityEvent::SmsBudgetSpent {
                limit,
                retry_after_seconds,
            } => (
                "sms.budget_spent",
                json!({"limit": limit, "retry_after_seconds": retry_after_seconds}),
            ),
            SecurityEvent::MembershipStarted { membership, by } => {
                ("membership_started", member(membership, by))
            }
            SecurityEvent::MembershipEnded {
                organization_id,
                user_id,
                by,
            } => (
                "membership_ended",
                json!({"organization_id": organization_id, "user_id": user_id, "by": by}),
            ),
            SecurityEvent::HeadAppointed { membership, by } => {
                ("head_appointed", member(membership, by))
            }
            SecurityEvent::HeadDismissed { membership, by } => {
                ("head_dismissed", member(membership, by))
            }
            SecurityEvent::InvitationCreated { invitation, by } => {
                ("invitation.created", invited(invitation, Some(by)))
            }
            SecurityEvent::InvitationAccepted { invitation } => {
                ("invitation.accepted", invited(invitation, None))
            }
            SecurityEvent::InvitationDeclined { invitation } => {
                ("invitation.declined", invited(invitation, None))
            }
        }
    }
}

/// One request's line: never its path (paths carry ids, and unknown ones
/// anything), the route's template instead.
pub struct RequestLine<'a> {
    pub request_id: &'a str,
    pub method: &'a str,
    /// None for a path that names no route.
    pub route: Option<&'a str>,
    pub status: u16,
    pub duration: std::time::Duration,
    pub user_id: Option<&'a str>,
}

/// Writes one request's line.
pub fn request(line: &RequestLine<'_>) {
    let mut fields = Map::new();
    fields.insert("kind".into(), json!("request"));
    fields.insert("request_id".into(), json!(line.request_id));
    fields.insert("method".into(), json!(line.method));
    fields.insert("route".into(), json!(line.route));
    fields.insert("status".into(), json!(line.status));
    fields.insert(
        "duration_ms".into(),
        json!(line.duration.as_secs_f64() * 1000.0),
    );
    fields.insert("user_id".into(), json!(line.user_id));
    write(fields);
}

/// Writes the line of a failure on our side (a 500, or a 503 whose
/// dependency said why), once per request, at the HTTP boundary: where and
/// why, with the request id that the client's answer carries. Other errors
/// are the client's and write nothing here.
pub fn failure(request_id: &str, error: &ApiError) {
    let (site, cause) = match error {
        ApiError::Internal { site, cause } => (*site, cause.clone()),
        ApiError::Unavailable {
            dependency,
            cause: Some(cause),
        } => (*dependency, cause.clone()),
        ApiError::Misconfigured(e) => ("configuration", e.to_string()),
        _ => return,
    };
    let mut fields = Map::new();
    fields.insert("kind".into(), json!("error"));
    fields.insert("request_id".into(), json!(request_id));
    fields.insert("status".into(), json!(error.status()));
    fields.insert("site".into(), json!(site));
    fields.insert("cause".into(), json!(cause));
    write(fields);
}

/// Writes one security event.
pub fn security(event: SecurityEvent<'_>) {
    let (name, fields) = event.fields();
    let mut line = Map::new();
    line.insert("kind".into(), json!("security"));
    line.insert("event".into(), json!(name));
    if let Value::Object(fields) = fields {
        line.extend(fields);
    }
    write(line);
}

/// Writes one line: `time` (RFC 3339, UTC, milliseconds) and the fields.
pub fn write(mut fields: Map<String, Value>) {
    fields.insert("time".into(), json!(now_rfc3339()));
    println!("{}", Value::Object(fields));
}

fn now_rfc3339() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    chrono::DateTime::from_timestamp(now.as_secs() as i64, now.subsec_nanos())
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_membership_event_names_ids_only() {
        let membership = json!({"organization_id": "o", "user_id": "u", "second_login": "ivan", "roles": ["driver"]});
        let (name, fields) = SecurityEvent::HeadAppointed {
            membership: &membership,
            by: "b",
        }
        .fields();
        assert_eq!(name, "head_appointed");
        assert_eq!(
            fields,
            json!({"organization_id": "o", "user_id": "u", "by": "b"})
        );
    }

    #[test]
    fn an_invitation_event_names_ids_only() {
        let invitation =
            json!({"id": "i", "organization_id": "o", "user_id": "u", "expires_at": "t"});
        let (name, fields) = SecurityEvent::InvitationCreated {
            invitation: &invitation,
            by: "b",
        }
        .fields();
        assert_eq!(name, "invitation.created");
        assert_eq!(
            fields,
            json!({"invitation_id": "i", "organization_id": "o", "user_id": "u", "by": "b"})
        );
        let (name, fields) = SecurityEvent::InvitationDeclined {
            invitation: &invitation,
        }
        .fields();
        assert_eq!(name, "invitation.declined");
        assert_eq!(
            fields,
            json!({"invitation_id": "i", "organization_id": "o", "user_id": "u"})
        );
    }

    #[test]
    fn times_are_rfc3339_utc_with_milliseconds() {
        let time = now_rfc3339();
        assert_eq!(time.len(), "2026-11-30T01:02:03.456Z".len(), "{time}");
        assert!(time.ends_with('Z') && time.starts_with("20"), "{time}");
    }
}
