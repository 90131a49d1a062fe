//! Email gateways: how a message is asked of each, and how each says it
//! took it. Three formats: a generic JSON webhook, Postmark's `POST /email`
//! and Mailgun's messages API. Building the request and reading the answer
//! are pure; sending is the outbound HTTP port's, as for SMS.

use crate::core::ports::{base_url as base, form_body as form, OutboundRequest, OutboundResponse};
use crate::core::secret::Secret;
use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailGatewayKind {
    /// `POST <url>` `{"to", "subject", "text"}` with `Authorization: Bearer
    /// <token>`; any 2xx is taken.
    Webhook,
    /// `POST <url>/email`, JSON `From`, `To`, `Subject`, `TextBody`, with
    /// the server token in `X-Postmark-Server-Token`; taken when 200 with
    /// `ErrorCode` 0 (it answers 422 with a code when it refuses).
    Postmark,
    /// `POST <url>/v3/<domain>/messages`, form `from`, `to`, `subject`,
    /// `text`, HTTP Basic `api:<key>`; taken when 200 with an `id`.
    Mailgun,
}

impl EmailGatewayKind {
    pub fn parse(raw: &str) -> Option<EmailGatewayKind> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "webhook" => Some(EmailGatewayKind::Webhook),
            "postmark" => Some(EmailGatewayKind::Postmark),
            "mailgun" => Some(EmailGatewayKind::Mailgun),
            _ => None,
        }
    }
}

/// A configured email gateway (the `email_gateway*` variables).
#[derive(Debug)]
pub struct EmailGateway {
    pub kind: EmailGatewayKind,
    /// The webhook's URL; Postmark's or Mailgun's base URL.
    pub url: String,
    /// The webhook's bearer token, Postmark's server token, Mailgun's API key.
    pub token: Secret<String>,
    /// Mailgun's sending domain.
    pub domain: String,
    /// The sender (`From`), e.g. `Logistics <no-reply@example.com>`.
    pub from: String,
    pub timeout_ms: u32,
}

/// One email: the address, the subject and the plain text.
pub struct Email<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
}

impl EmailGateway {
    /// The request that asks the gateway to send `email`.
    pub fn request(&self, email: &Email<'_>) -> OutboundRequest {
        let token = self.token.expose();
        match self.kind {
            EmailGatewayKind::Webhook => OutboundRequest {
                url: self.url.clone(),
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("authorization".into(), format!("Bearer {token}")),
                ],
                body: json!({"to": email.to, "subject": email.subject, "text": email.text})
                    .to_string()
                    .into_bytes(),
            },
            EmailGatewayKind::Postmark => OutboundRequest {
                url: format!("{}/email", base(&self.url)),
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("accept".into(), "application/json".into()),
                    ("x-postmark-server-token".into(), token.clone()),
                ],
                body: json!({
                    "From": self.from,
                    "To": email.to,
                    "Subject": email.subject,
                    "TextBody": email.text,
                    "MessageStream": "outbound",
                })
                .to_string()
                .into_bytes(),
            },
            EmailGatewayKind::Mailgun => OutboundRequest {
                url: format!("{}/v3/{}/messages", base(&self.url), self.domain),
                headers: vec![
                    (
                        "content-type".into(),
                        "application/x-www-form-urlencoded".into(),
                    ),
                    (
                        "authorization".into(),
                        format!("Basic {}", STANDARD.encode(format!("api:{token}"))),
                    ),
                ],
                body: form(&[
                    ("from", &self.from),
                    ("to", email.to),
                    ("subject", email.subject),
                    ("text", email.text),
                ]),
            },
        }
    }

    /// Whether the gateway's answer says it took the message.
    pub fn took(&self, response: &OutboundResponse) -> bool {
        let json = || serde_json::from_slice::<Value>(&response.body).ok();
        match self.kind {
            EmailGatewayKind::Webhook => (200..300).contains(&response.status),
            EmailGatewayKind::Postmark => {
                response.status == 200 && json().is_some_and(|b| b["ErrorCode"] == 0)
            }
            EmailGatewayKind::Mailgun => {
                response.status == 200
                    && json().is_some_and(|b| b["id"].as_str().is_some_and(|id| !id.is_empty()))
            }
        }
    }
}

/// A link to the React app: `{base}/{page}#token=…`. In the fragment, so
/// the token never reaches a server's access log (browsers do not send it).
pub fn link(base: &str, page: &str, token: &str) -> String {
    format!("{}/{page}#token={token}", base.trim_end_matches('/'))
}

/// A text with `{link}` and `{minutes}` filled in.
pub fn link_text(template: &str, link: &str, ttl_seconds: u32) -> String {
    let minutes = ttl_seconds.div_ceil(60).max(1);
    template
        .replace("{link}", link)
        .replace("{minutes}", &minutes.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway(kind: EmailGatewayKind) -> EmailGateway {
        EmailGateway {
            kind,
            url: "https://mail.example/".into(),
            token: Secret::new("k3y".into()),
            domain: "mg.example.com".into(),
            from: "Logistics <no-reply@example.com>".into(),
            timeout_ms: 1000,
        }
    }

    fn answer(status: u16, body: &str) -> OutboundResponse {
        OutboundResponse {
            status,
            body: body.as_bytes().to_vec(),
        }
    }

    const EMAIL: Email<'static> = Email {
        to: "ivan@example.com",
        subject: "Подтвердите адрес",
        text: "Ссылка: https://app.example/verify-email#token=abc",
    };

    #[test]
    fn each_gateway_is_asked_in_its_own_format() {
        let hook = gateway(EmailGatewayKind::Webhook).request(&EMAIL);
        assert_eq!(hook.url, "https://mail.example/");
        let body: Value = serde_json::from_slice(&hook.body).unwrap();
        assert_eq!(
            body,
            json!({"to": EMAIL.to, "subject": EMAIL.subject, "text": EMAIL.text})
        );
        assert!(hook
            .headers
            .contains(&("authorization".into(), "Bearer k3y".into())));

        let postmark = gateway(EmailGatewayKind::Postmark).request(&EMAIL);
        assert_eq!(postmark.url, "https://mail.example/email");
        let body: Value = serde_json::from_slice(&postmark.body).unwrap();
        assert_eq!(body["To"], EMAIL.to);
        assert_eq!(body["From"], "Logistics <no-reply@example.com>");
        assert_eq!(body["Subject"], EMAIL.subject);
        assert_eq!(body["TextBody"], EMAIL.text);
        assert!(postmark
            .headers
            .contains(&("x-postmark-server-token".into(), "k3y".into())));

        let mailgun = gateway(EmailGatewayKind::Mailgun).request(&EMAIL);
        assert_eq!(
            mailgun.url,
            "https://mail.example/v3/mg.example.com/messages"
        );
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(&mailgun.body).into_owned().collect();
        assert!(pairs.contains(&("to".into(), EMAIL.to.into())));
        assert!(pairs.contains(&("text".into(), EMAIL.text.into())));
        let basic = format!("Basic {}", STANDARD.encode("api:k3y"));
        assert!(mailgun.headers.contains(&("authorization".into(), basic)));
    }

    #[test]
    fn each_gateway_says_in_its_own_way_that_it_took_a_message() {
        let hook = gateway(EmailGatewayKind::Webhook);
        assert!(hook.took(&answer(202, "")));
        assert!(!hook.took(&answer(503, "")));
        let postmark = gateway(EmailGatewayKind::Postmark);
        assert!(postmark.took(&answer(
            200,
            r#"{"ErrorCode":0,"Message":"OK","MessageID":"b7bc2f4a"}"#
        )));
        assert!(!postmark.took(&answer(
            422,
            r#"{"ErrorCode":300,"Message":"Invalid email request"}"#
        )));
        assert!(!postmark.took(&answer(200, r#"{"ErrorCode":406,"Message":"Inactive"}"#)));
        let mailgun = gateway(EmailGatewayKind::Mailgun);
        assert!(mailgun.took(&answer(
            200,
            r#"{"id":"<20261207.1@mg.example.com>","message":"Queued. Thank you."}"#
        )));
        assert!(!mailgun.took(&answer(401, "Forbidden")));
        assert!(!mailgun.took(&answer(200, "not json")));
        assert_eq!(
            EmailGatewayKind::parse(" Postmark "),
            Some(EmailGatewayKind::Postmark)
        );
        assert_eq!(EmailGatewayKind::parse("sendmail"), None);
    }

    #[test]
    fn a_link_carries_its_token_in_the_fragment() {
        let link = link("https://app.example/", "verify-email", "tok_en");
        assert_eq!(link, "https://app.example/verify-email#token=tok_en");
        assert_eq!(
            link_text("Откройте {link} ({minutes} мин.)", &link, 1800),
            "Откройте https://app.example/verify-email#token=tok_en (30 мин.)"
        );
    }
}
