//! A host that sends emails through a fake gateway (and SMS through
//! another), and what a test does with the links it sends: verify an
//! email, recover an account.

use crate::*;
use serde_json::{json, Value};

pub struct Mailbox {
    /// The host, and its SMS gateway.
    pub codes: PhoneCodes,
    pub mail: FakeGateway,
}

impl Mailbox {
    /// An email gateway speaking `kind` (`webhook`, `postmark`, `mailgun`)
    /// and a host of its own with `extra` settings.
    pub fn start(kind: &'static str, extra: &[(&'static str, &str)]) -> Mailbox {
        let mail = FakeGateway::start(kind);
        let variables = mail.email_variables();
        let mut settings: Vec<(&'static str, &str)> =
            variables.iter().map(|(n, v)| (*n, v.as_str())).collect();
        settings.extend_from_slice(extra);
        Mailbox {
            codes: PhoneCodes::start(&settings),
            mail,
        }
    }

    pub fn api(&self) -> &Api {
        self.codes.api()
    }

    /// Follows the last verification link emailed to `address`.
    pub fn follow_verification_link(&self, address: &str) -> Reply {
        let token = self
            .mail
            .link_for(address, "verify-email")
            .unwrap_or_else(|| panic!("no verification link went to {address}"));
        self.api()
            .post_json("/api/v1/auth/email/verify", &json!({"token": token}))
    }

    /// Follows the last verification link emailed to `address`, signed in
    /// with `access_token` (a claim completes only for its own account).
    pub fn follow_verification_link_as(&self, address: &str, access_token: &str) -> Reply {
        let token = self
            .mail
            .link_for(address, "verify-email")
            .unwrap_or_else(|| panic!("no verification link went to {address}"));
        self.api().bearer(
            "POST",
            "/api/v1/auth/email/verify",
            access_token,
            Some(&json!({"token": token})),
        )
    }

    /// Someone registered with a verified email (by its link) and a
    /// verified phone (by a code).
    pub fn sign_up_verified(&self) -> SignedIn {
        let user = sign_up(self.api());
        let verified = self.follow_verification_link(&user.person.email);
        assert_eq!(verified.status, 200, "{}", verified.text);
        self.codes.verify_own_phone(&user);
        user
    }

    /// `POST /auth/recovery`.
    pub fn recover(&self, login: &str) -> Reply {
        self.api()
            .post_json("/api/v1/auth/recovery", &json!({"login": login}))
    }

    /// `POST /auth/recovery/complete`.
    pub fn complete(&self, body: &Value) -> Reply {
        self.api().post_json("/api/v1/auth/recovery/complete", body)
    }

    /// How many recovery codes `phone` has been sent.
    pub fn recovery_codes_to(&self, phone: &str) -> usize {
        self.codes
            .gateway
            .received()
            .iter()
            .filter(|m| m.to().as_deref() == Some(phone))
            .filter(|m| m.text().is_some_and(|t| t.contains("сброса пароля")))
            .count()
    }
}
