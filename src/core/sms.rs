//! SMS gateways: how a message is asked of each, and how each says it took
//! it. Three formats: a generic JSON webhook, the Twilio Messages API and
//! SMS.ru. Building the request and reading the answer are pure; sending is
//! the outbound HTTP port's.

use crate::core::ports::{base_url as base, form_body as form, OutboundRequest, OutboundResponse};
use crate::core::secret::Secret;
use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayKind {
    /// `POST <url>` `{"to", "text"}` with `Authorization: Bearer <token>`;
    /// any 2xx is taken.
    Webhook,
    /// `POST <url>/2010-04-01/Accounts/<account>/Messages.json`, form
    /// `To`, `From` (or `MessagingServiceSid` for an `MG…` sender), `Body`,
    /// HTTP Basic `<account>:<token>`; taken when 201 with a `sid`.
    Twilio,
    /// `POST <url>/sms/send`, form `api_id`, `to`, `msg`, `json=1`. It answers
    /// 200 even when it refuses: taken only when `status` is `OK` at the top
    /// and for the number in `sms`.
    SmsRu,
}

impl GatewayKind {
    pub fn parse(raw: &str) -> Option<GatewayKind> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "webhook" => Some(GatewayKind::Webhook),
            "twilio" => Some(GatewayKind::Twilio),
            "smsru" | "sms.ru" => Some(GatewayKind::SmsRu),
            _ => None,
        }
    }
}

/// A configured gateway (the `sms_gateway*` variables).
#[derive(Debug)]
pub struct Gateway {
    pub kind: GatewayKind,
    /// The webhook's URL; Twilio's or SMS.ru's base URL.
    pub url: String,
    /// The webhook's bearer token, Twilio's auth token, SMS.ru's `api_id`.
    pub token: Secret<String>,
    /// Twilio's account SID.
    pub account: String,
    /// Twilio's `From` number or messaging service (`MG…`).
    pub sender: String,
    pub timeout_ms: u32,
}

/// One SMS: the E.164 number and the text.
pub struct Sms<'a> {
    pub to: &'a str,
    pub text: &'a str,
}

impl Gateway {
    /// The request that asks the gateway to send `sms`.
    pub fn request(&self, sms: &Sms<'_>) -> OutboundRequest {
        let token = self.token.expose();
        match self.kind {
            GatewayKind::Webhook => OutboundRequest {
                url: self.url.clone(),
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("authorization".into(), format!("Bearer {token}")),
                ],
                body: json!({"to": sms.to, "text": sms.text})
                    .to_string()
                    .into_bytes(),
            },
            GatewayKind::Twilio => {
                let sender = if self.sender.starts_with("MG") {
                    "MessagingServiceSid"
                } else {
                    "From"
                };
                let basic = STANDARD.encode(format!("{}:{token}", self.account));
                OutboundRequest {
                    url: format!(
                        "{}/2010-04-01/Accounts/{}/Messages.json",
                        base(&self.url),
                        self.account
                    ),
                    headers: vec![
                        (
                            "content-type".into(),
                            "application/x-www-form-urlencoded".into(),
                        ),
                        ("authorization".into(), format!("Basic {basic}")),
                    ],
                    body: form(&[("To", sms.to), (sender, &self.sender), ("Body", sms.text)]),
                }
            }
            GatewayKind::SmsRu => OutboundRequest {
                url: format!("{}/sms/send", base(&self.url)),
                headers: vec![(
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                )],
                body: form(&[
                    ("api_id", token),
                    ("to", smsru_number(sms.to)),
                    ("msg", sms.text),
                    ("json", "1"),
                ]),
            },
        }
    }

    /// Whether the gateway's answer says it took the message.
    pub fn took(&self, sms: &Sms<'_>, response: &OutboundResponse) -> bool {
        let json = || serde_json::from_slice::<Value>(&response.body).ok();
        match self.kind {
            GatewayKind::Webhook => (200..300).contains(&response.status),
            GatewayKind::Twilio => {
                (200..300).contains(&response.status)
                    && json().is_some_and(|b| b["sid"].as_str().is_some_and(|s| !s.is_empty()))
            }
            GatewayKind::SmsRu => {
                response.status == 200
                    && json().is_some_and(|b| {
                        b["status"] == "OK" && b["sms"][smsru_number(sms.to)]["status"] == "OK"
                    })
            }
        }
    }
}

/// SMS.ru names numbers without the `+`.
fn smsru_number(e164: &str) -> &str {
    e164.trim_start_matches('+')
}

/// The text of a code's SMS: `{code}` and `{minutes}` filled in.
pub fn code_text(template: &str, code: &str, ttl_seconds: u32) -> String {
    let minutes = ttl_seconds.div_ceil(60).max(1);
    template
        .replace("{code}", code)
        .replace("{minutes}", &minutes.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway(kind: GatewayKind, sender: &str) -> Gateway {
        Gateway {
            kind,
            url: "https://gw.example/".into(),
            token: Secret::new("t0k".into()),
            account: "AC123".into(),
            sender: sender.into(),
            timeout_ms: 1000,
        }
    }

    fn answer(status: u16, body: &str) -> OutboundResponse {
        OutboundResponse {
            status,
            body: body.as_bytes().to_vec(),
        }
    }

    const SMS: Sms<'static> = Sms {
        to: "+79991234567",
        text: "Код: 123456",
    };

    #[test]
    fn each_gateway_is_asked_in_its_own_format() {
        let hook = gateway(GatewayKind::Webhook, "").request(&SMS);
        assert_eq!(hook.url, "https://gw.example/");
        let body: Value = serde_json::from_slice(&hook.body).unwrap();
        assert_eq!(body, json!({"to": "+79991234567", "text": "Код: 123456"}));
        assert!(hook
            .headers
            .contains(&("authorization".into(), "Bearer t0k".into())));

        let twilio = gateway(GatewayKind::Twilio, "+15005550006").request(&SMS);
        assert_eq!(
            twilio.url,
            "https://gw.example/2010-04-01/Accounts/AC123/Messages.json"
        );
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(&twilio.body).into_owned().collect();
        assert_eq!(
            pairs,
            vec![
                ("To".into(), "+79991234567".into()),
                ("From".into(), "+15005550006".into()),
                ("Body".into(), "Код: 123456".into())
            ]
        );
        let basic = format!("Basic {}", STANDARD.encode("AC123:t0k"));
        assert!(twilio.headers.contains(&("authorization".into(), basic)));
        let service = gateway(GatewayKind::Twilio, "MG42").request(&SMS);
        assert!(String::from_utf8(service.body)
            .unwrap()
            .contains("MessagingServiceSid=MG42"));

        let smsru = gateway(GatewayKind::SmsRu, "").request(&SMS);
        assert_eq!(smsru.url, "https://gw.example/sms/send");
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(&smsru.body).into_owned().collect();
        assert!(pairs.contains(&("to".into(), "79991234567".into())));
        assert!(pairs.contains(&("api_id".into(), "t0k".into())));
        assert!(pairs.contains(&("json".into(), "1".into())));
    }

    #[test]
    fn each_gateway_says_in_its_own_way_that_it_took_a_message() {
        let hook = gateway(GatewayKind::Webhook, "");
        assert!(hook.took(&SMS, &answer(202, "")));
        assert!(!hook.took(&SMS, &answer(500, "")));
        let twilio = gateway(GatewayKind::Twilio, "+1500");
        assert!(twilio.took(&SMS, &answer(201, r#"{"sid":"SM1","status":"queued"}"#)));
        assert!(!twilio.took(&SMS, &answer(400, r#"{"code":21211}"#)));
        assert!(!twilio.took(&SMS, &answer(201, "not json")));
        let smsru = gateway(GatewayKind::SmsRu, "");
        let ok = r#"{"status":"OK","sms":{"79991234567":{"status":"OK","sms_id":"1"}}}"#;
        assert!(smsru.took(&SMS, &answer(200, ok)));
        // 200, yet refused: for the account, or for the number.
        let refused = r#"{"status":"ERROR","status_code":200,"status_text":"Неправильный api_id"}"#;
        assert!(!smsru.took(&SMS, &answer(200, refused)));
        let number =
            r#"{"status":"OK","sms":{"79991234567":{"status":"ERROR","status_code":207}}}"#;
        assert!(!smsru.took(&SMS, &answer(200, number)));
        assert_eq!(GatewayKind::parse(" SMS.ru "), Some(GatewayKind::SmsRu));
        assert_eq!(GatewayKind::parse("carrier-pigeon"), None);
    }

    #[test]
    fn the_text_names_the_code_and_its_lifetime() {
        assert_eq!(
            code_text("Код {code}, {minutes} мин.", "042917", 300),
            "Код 042917, 5 мин."
        );
        assert_eq!(code_text("{code} {minutes}", "1", 61), "1 2");
    }
}
