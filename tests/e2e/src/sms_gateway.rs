//! A fake SMS gateway speaking each supported format, and the phone codes
//! the service sends through it or to its log.

use crate::*;
use serde_json::{json, Value};

/// How the fake SMS gateway answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayMode {
    /// Takes every message, as its format says.
    Takes,
    /// 500 for everything.
    Fails,
    /// Answers nothing until long past any timeout.
    Hangs,
    /// SMS.ru's way of refusing: 200 with `"status": "ERROR"`.
    RefusesWith200,
    /// Takes the message but answers with a body of 1 MiB, far past what
    /// a gateway's answer may be (64 KiB).
    AnswersTooMuch,
}

/// One message the fake gateway received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A real HTTP server on loopback speaking one gateway format (`webhook`,
/// `twilio` or `smsru`): it records what it receives and answers as its
/// mode says.
pub struct FakeGateway {
    pub kind: &'static str,
    pub port: u16,
    mode: std::sync::Arc<std::sync::Mutex<GatewayMode>>,
    received: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
}

pub const GATEWAY_TOKEN: &str = "gateway-test-token";

pub const TWILIO_ACCOUNT: &str = "AC00000000000000000000000000000000";

impl FakeGateway {
    pub fn start(kind: &'static str) -> FakeGateway {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mode = std::sync::Arc::new(std::sync::Mutex::new(GatewayMode::Takes));
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (mode_in, received_in) = (mode.clone(), received.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (mode, received) = (mode_in.clone(), received_in.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                    let mut headers = Vec::new();
                    loop {
                        let mut header = String::new();
                        if reader.read_line(&mut header).unwrap_or(0) == 0 {
                            return;
                        }
                        let header = header.trim_end();
                        if header.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = header.split_once(':') {
                            headers.push((k.trim().to_lowercase(), v.trim().to_string()));
                        }
                    }
                    let header = |name: &str| {
                        headers
                            .iter()
                            .find(|(k, _)| k == name)
                            .map(|(_, v)| v.clone())
                    };
                    let mut body = Vec::new();
                    if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
                        loop {
                            let mut size = String::new();
                            if reader.read_line(&mut size).unwrap_or(0) == 0 {
                                return;
                            }
                            let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
                            let mut chunk = vec![0; size + 2];
                            if reader.read_exact(&mut chunk).is_err() {
                                return;
                            }
                            if size == 0 {
                                break;
                            }
                            body.extend_from_slice(&chunk[..size]);
                        }
                    } else {
                        let length: usize = header("content-length")
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(0);
                        body = vec![0; length];
                        if reader.read_exact(&mut body).is_err() {
                            return;
                        }
                    }
                    let message = Received {
                        path,
                        headers,
                        body,
                    };
                    let mode = *mode.lock().unwrap();
                    let (status, answer) = match (mode, kind) {
                        (GatewayMode::Hangs, _) => {
                            std::thread::sleep(std::time::Duration::from_secs(30));
                            return;
                        }
                        (GatewayMode::Fails, _) => (500, r#"{"error":"down"}"#.to_string()),
                        (GatewayMode::RefusesWith200, _) => (
                            200,
                            r#"{"status":"ERROR","status_code":201,"status_text":"Не хватает средств"}"#
                                .to_string(),
                        ),
                        (GatewayMode::AnswersTooMuch, _) => (
                            202,
                            format!(r#"{{"queued":true,"pad":"{}"}}"#, "x".repeat(1 << 20)),
                        ),
                        (GatewayMode::Takes, "twilio") => {
                            (201, r#"{"sid":"SM0123","status":"queued"}"#.to_string())
                        }
                        (GatewayMode::Takes, "postmark") => (
                            200,
                            r#"{"To":"x","ErrorCode":0,"Message":"OK","MessageID":"0a129aee"}"#
                                .to_string(),
                        ),
                        (GatewayMode::Takes, "mailgun") => (
                            200,
                            r#"{"id":"<20261207.1@mg.example.test>","message":"Queued. Thank you."}"#
                                .to_string(),
                        ),
                        (GatewayMode::Takes, "smsru") => {
                            let to = message.form("to").unwrap_or_default();
                            (
                                200,
                                format!(
                                    r#"{{"status":"OK","status_code":100,"sms":{{"{to}":{{"status":"OK","status_code":100,"sms_id":"1"}}}}}}"#
                                ),
                            )
                        }
                        (GatewayMode::Takes, _) => (202, r#"{"queued":true}"#.to_string()),
                    };
                    received.lock().unwrap().push(message);
                    let mut stream = stream;
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                        answer.len()
                    );
                });
            }
        });
        FakeGateway {
            kind,
            port,
            mode,
            received,
        }
    }

    pub fn set_mode(&self, mode: GatewayMode) {
        *self.mode.lock().unwrap() = mode;
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The last code sent to `phone` (E.164), read from the SMS text.
    pub fn code_for(&self, phone: &str) -> Option<String> {
        self.received()
            .iter()
            .rev()
            .filter(|m| m.to().as_deref() == Some(phone))
            .find_map(|m| {
                let text = m.text()?;
                let digits: Vec<char> = text.chars().collect();
                digits.windows(6).find_map(|w| {
                    w.iter()
                        .all(|c| c.is_ascii_digit())
                        .then(|| w.iter().collect::<String>())
                })
            })
    }

    /// The `SPIN_VARIABLE_*` settings that point a host at this gateway.
    pub fn variables(&self) -> Vec<(&'static str, String)> {
        let origin = format!("http://127.0.0.1:{}", self.port);
        let url = match self.kind {
            "webhook" => format!("{origin}/send"),
            _ => origin.clone(),
        };
        vec![
            ("SPIN_VARIABLE_SMS_GATEWAY", self.kind.to_string()),
            ("SPIN_VARIABLE_SMS_GATEWAY_URL", url),
            ("SPIN_VARIABLE_SMS_GATEWAY_ORIGIN", origin),
            ("SPIN_VARIABLE_SMS_GATEWAY_TOKEN", GATEWAY_TOKEN.to_string()),
            (
                "SPIN_VARIABLE_SMS_GATEWAY_ACCOUNT",
                TWILIO_ACCOUNT.to_string(),
            ),
            ("SPIN_VARIABLE_SMS_SENDER", "+15005550006".to_string()),
            ("SPIN_VARIABLE_SMS_GATEWAY_TIMEOUT_MS", "1500".to_string()),
        ]
    }
}

impl FakeGateway {
    /// The `SPIN_VARIABLE_*` settings that point a host's emails at this
    /// gateway (`webhook`, `postmark` or `mailgun`).
    pub fn email_variables(&self) -> Vec<(&'static str, String)> {
        let origin = format!("http://127.0.0.1:{}", self.port);
        let url = match self.kind {
            "webhook" => format!("{origin}/send-email"),
            _ => origin.clone(),
        };
        vec![
            ("SPIN_VARIABLE_EMAIL_GATEWAY", self.kind.to_string()),
            ("SPIN_VARIABLE_EMAIL_GATEWAY_URL", url),
            ("SPIN_VARIABLE_EMAIL_GATEWAY_ORIGIN", origin),
            (
                "SPIN_VARIABLE_EMAIL_GATEWAY_TOKEN",
                GATEWAY_TOKEN.to_string(),
            ),
            (
                "SPIN_VARIABLE_EMAIL_GATEWAY_DOMAIN",
                "mg.example.test".to_string(),
            ),
            (
                "SPIN_VARIABLE_EMAIL_FROM",
                "Logistics <no-reply@example.test>".to_string(),
            ),
            ("SPIN_VARIABLE_EMAIL_GATEWAY_TIMEOUT_MS", "1500".to_string()),
            (
                "SPIN_VARIABLE_EMAIL_LINK_BASE",
                "https://app.example.test".to_string(),
            ),
        ]
    }

    /// The emails the gateway took for `address`.
    pub fn emails_to(&self, address: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|m| m.email_to().as_deref() == Some(address))
            .collect()
    }

    /// The token of the last link to `page` (`verify-email`,
    /// `reset-password`) emailed to `address`.
    pub fn link_for(&self, address: &str, page: &str) -> Option<String> {
        let marker = format!("/{page}#token=");
        self.emails_to(address).iter().rev().find_map(|m| {
            let text = m.email_text()?;
            let start = text.find(&marker)? + marker.len();
            Some(
                text[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect(),
            )
        })
    }
}

impl Received {
    /// The address an email is for, in whichever format it came.
    pub fn email_to(&self) -> Option<String> {
        if let Ok(json) = serde_json::from_slice::<Value>(&self.body) {
            return json["to"]
                .as_str()
                .or_else(|| json["To"].as_str())
                .map(str::to_string);
        }
        self.form("to")
    }

    pub fn subject(&self) -> Option<String> {
        if let Ok(json) = serde_json::from_slice::<Value>(&self.body) {
            return json["subject"]
                .as_str()
                .or_else(|| json["Subject"].as_str())
                .map(str::to_string);
        }
        self.form("subject")
    }

    pub fn email_text(&self) -> Option<String> {
        if let Ok(json) = serde_json::from_slice::<Value>(&self.body) {
            return json["text"]
                .as_str()
                .or_else(|| json["TextBody"].as_str())
                .map(str::to_string);
        }
        self.form("text")
    }

    fn form(&self, name: &str) -> Option<String> {
        url_form(&self.body)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// The number the message is for, as E.164.
    pub fn to(&self) -> Option<String> {
        if let Ok(json) = serde_json::from_slice::<Value>(&self.body) {
            return json["to"].as_str().map(str::to_string);
        }
        self.form("To")
            .or_else(|| self.form("to").map(|n| format!("+{n}")))
    }

    pub fn text(&self) -> Option<String> {
        if let Ok(json) = serde_json::from_slice::<Value>(&self.body) {
            return json["text"].as_str().map(str::to_string);
        }
        self.form("Body").or_else(|| self.form("msg"))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `application/x-www-form-urlencoded` pairs, decoded.
fn url_form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// A `verify_phone` proof of `phone` for user `user_id`, as if their code
/// had been verified: written behind the API's back, for tests about what a
/// proof allows rather than how one is got (`PhoneCodes::phone_proof` gets
/// one through the API). `phone` is E.164 or a Russian number in its
/// national form (8 …); for anything else the proof proves nothing.
pub fn phone_proof(user_id: &str, phone: &str) -> String {
    use sha2::{Digest, Sha256};
    let digits: String = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    let proof: String = unique_bytes::<32>()
        .iter()
        .map(|b| (b'a' + b % 26) as char)
        .chain(std::iter::repeat('x'))
        .take(43)
        .collect();
    let e164 = match (phone.trim_start().starts_with('+'), digits.len()) {
        (true, _) => format!("+{digits}"),
        (false, 11) => format!("+7{}", &digits[1..]),
        _ => return proof,
    };
    let digest = Sha256::digest(proof.as_bytes()).to_vec();
    admin_db()
        .execute(
            "INSERT INTO auth.otp_proofs (proof_digest, phone, purpose, user_id, expires_at)
             VALUES ($1, $2, 'verify_phone', $3::text::uuid, now() + interval '10 minutes')",
            &[&digest, &e164, &user_id],
        )
        .unwrap();
    proof
}

/// A host that sends phone codes through a fake gateway, and what a test
/// does with codes: ask, read from the gateway, verify, anonymously or
/// signed in (Bearer).
pub struct PhoneCodes {
    pub gateway: FakeGateway,
    pub host: OwnHost,
}

impl PhoneCodes {
    /// A webhook gateway and a host of its own with `extra` settings (no
    /// resend delay unless they set one).
    pub fn start(extra: &[(&'static str, &str)]) -> PhoneCodes {
        let gateway = FakeGateway::start("webhook");
        let mut settings = gateway.variables();
        settings.push(("SPIN_VARIABLE_OTP_RESPONSE_FLOOR_MS", "150".to_string()));
        settings.push(("SPIN_VARIABLE_OTP_RESEND_SECONDS", "0".to_string()));
        for (name, value) in extra {
            settings.retain(|(n, _)| n != name);
            settings.push((name, value.to_string()));
        }
        let host = OwnHost::start(&settings);
        PhoneCodes { gateway, host }
    }

    pub fn api(&self) -> &Api {
        &self.host.api
    }

    /// `POST /auth/otp/request`, as `token`'s user when given.
    pub fn ask(&self, token: Option<&str>, body: &Value) -> Reply {
        match token {
            Some(token) => self
                .api()
                .bearer("POST", "/api/v1/auth/otp/request", token, Some(body)),
            None => self.api().post_json("/api/v1/auth/otp/request", body),
        }
    }

    /// `POST /auth/otp/verify`, as `token`'s user when given.
    pub fn verify(&self, token: Option<&str>, body: &Value) -> Reply {
        match token {
            Some(token) => self
                .api()
                .bearer("POST", "/api/v1/auth/otp/verify", token, Some(body)),
            None => self.api().post_json("/api/v1/auth/otp/verify", body),
        }
    }

    /// How many SMS the gateway has taken for `phone`.
    pub fn sent_to(&self, phone: &str) -> usize {
        self.gateway
            .received()
            .iter()
            .filter(|m| m.to().as_deref() == Some(phone))
            .count()
    }

    /// A `verify_phone` proof of `phone` for `token`'s user: a code asked
    /// for and verified through the API.
    pub fn phone_proof(&self, token: &str, phone: &str) -> String {
        let before = self.sent_to(phone);
        let asked = self.ask(
            Some(token),
            &json!({"phone": phone, "purpose": "verify_phone"}),
        );
        assert_eq!(asked.status, 202, "{}", asked.text);
        assert_eq!(self.sent_to(phone), before + 1, "the code went to {phone}");
        let code = self.gateway.code_for(phone).unwrap();
        let proven = self.verify(
            Some(token),
            &json!({"phone": phone, "purpose": "verify_phone", "code": code}),
        );
        assert_eq!(proven.status, 200, "{}", proven.text);
        proven.json()["phone_proof"].as_str().unwrap().to_string()
    }

    /// Verifies the signed-in user's own current phone through the API
    /// (a `verify_phone` code to it), so that it receives login and
    /// reauth codes.
    pub fn verify_own_phone(&self, user: &SignedIn) {
        let proof = self.phone_proof(&user.access_token, &user.person.phone);
        let added = self.api().bearer(
            "POST",
            "/api/v1/auth/contacts",
            &user.access_token,
            Some(&json!({"type": "phone", "value": user.person.phone, "phone_proof": proof})),
        );
        assert_eq!(added.status, 201, "{}", added.text);
        assert_eq!(added.json()["contact"]["verified"], true);
    }

    /// A `reauth` proof for `token`'s user: a code to their verified
    /// phone (`phone`), asked for and verified through the API.
    pub fn reauth_proof(&self, token: &str, phone: &str) -> String {
        let before = self.sent_to(phone);
        let asked = self.ask(Some(token), &json!({"purpose": "reauth"}));
        assert_eq!(asked.status, 202, "{}", asked.text);
        assert_eq!(
            self.sent_to(phone),
            before + 1,
            "the reauth code went to {phone}"
        );
        let code = self.gateway.code_for(phone).unwrap();
        let proven = self.verify(Some(token), &json!({"purpose": "reauth", "code": code}));
        assert_eq!(proven.status, 200, "{}", proven.text);
        proven.json()["reauth_proof"].as_str().unwrap().to_string()
    }
}
