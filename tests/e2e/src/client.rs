//! Talking to the service: `Api` (an HTTP client at the service's base
//! URL) and the `Reply` it gives, every answer checked against the OpenAPI
//! document (`contract`) and every secret recorded (`secrets`).

use crate::*;
use serde_json::{json, Value};

pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: run these tests through tests/run-all.sh, which starts the servers"
        )
    })
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body for a failure message: tokens replaced by `<redacted>`, so
    /// a test that got a sign-in where it expected a refusal prints none.
    pub fn shown(&self) -> String {
        match serde_json::from_str::<Value>(&self.text) {
            Ok(Value::Object(mut body)) => {
                for name in ["access_token", "refresh_token"] {
                    if let Some(token) = body.get_mut(name) {
                        *token = json!("<redacted>");
                    }
                }
                Value::Object(body).to_string()
            }
            _ => self.text.clone(),
        }
    }

    /// Asserts an RFC 9457 problem with this status and returns its body.
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            self.shown()
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "body: {}",
            self.text
        );
        let body = self.json();
        assert_eq!(body["status"], status);
        for member in ["type", "title", "detail"] {
            assert!(body[member].is_string(), "problem without {member}: {body}");
        }
        body
    }

    pub fn all_headers(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

pub struct Api {
    base: String,
    pub(crate) agent: ureq::Agent,
}

impl Default for Api {
    fn default() -> Self {
        Self::new()
    }
}

impl Api {
    pub fn new() -> Api {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Api {
            base: env("AUTH_BASE_URL"),
            agent,
        }
    }

    /// The answer, after checking it against the OpenAPI document.
    fn reply(
        method: &str,
        path: &str,
        result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Reply {
        let reply = Self::read(result);
        secrets::from_reply(&reply);
        contract::check(
            method,
            path,
            reply.status,
            reply.header("content-type"),
            &reply.text,
        );
        reply
    }

    fn read(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
        let mut response = result.expect("the service did not answer");
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        Reply {
            status,
            headers,
            text,
        }
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.post_raw(
            path,
            Some("application/json"),
            body.to_string().into_bytes(),
        )
    }

    pub fn post_raw(&self, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Reply {
        secrets::from_request(&[], Some(&body));
        let mut request = self.agent.post(format!("{}{path}", self.base));
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        Self::reply("POST", path, request.send(&body[..]))
    }

    pub fn get(&self, path: &str) -> Reply {
        Self::reply(
            "GET",
            path,
            self.agent.get(format!("{}{path}", self.base)).call(),
        )
    }

    pub fn delete(&self, path: &str) -> Reply {
        Self::reply(
            "DELETE",
            path,
            self.agent.delete(format!("{}{path}", self.base)).call(),
        )
    }

    pub fn register(&self, body: &Value) -> Reply {
        self.post_json("/api/v1/auth/register", body)
    }

    pub fn login(&self, login: &str, password: &str) -> Reply {
        self.post_json(
            "/api/v1/auth/login",
            &json!({"login": login, "password": password}),
        )
    }

    pub fn at(base: &str) -> Api {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Api {
            base: base.to_string(),
            agent,
        }
    }

    /// A request with extra headers: `(method, path, headers, json body)`.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        let headers: Vec<(&str, &[u8])> = headers.iter().map(|(k, v)| (*k, v.as_bytes())).collect();
        let body = body.map(|b| b.to_string().into_bytes());
        self.send_raw(method, path, &headers, body.as_deref())
    }

    /// A request exactly as given: header values as raw bytes (non-ASCII
    /// too) and a body of raw bytes sent as JSON (malformed JSON too).
    pub fn send_raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &[u8])],
        json_body: Option<&[u8]>,
    ) -> Reply {
        secrets::from_request(headers, json_body);
        let url = format!("{}{path}", self.base);
        let mut builder = ureq::http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            builder = builder.header(*k, ureq::http::HeaderValue::from_bytes(v).unwrap());
        }
        let result = match json_body {
            Some(body) => {
                let request = builder
                    .header("content-type", "application/json")
                    .body(body.to_vec())
                    .unwrap();
                self.agent.run(request)
            }
            None => self.agent.run(builder.body(()).unwrap()),
        };
        Self::reply(method, path, result)
    }

    pub fn bearer(&self, method: &str, path: &str, token: &str, body: Option<&Value>) -> Reply {
        let auth = format!("Bearer {token}");
        self.send(method, path, &[("authorization", &auth)], body)
    }

    pub fn me(&self, token: &str) -> Reply {
        self.bearer("GET", "/api/v1/auth/me", token, None)
    }

    pub fn refresh(&self, refresh_token: &str) -> Reply {
        self.post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": refresh_token}),
        )
    }
}

/// The claims of a JWT, read without verifying it.
pub fn claims_of(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[cfg(test)]
mod tests {
    use super::Reply;

    #[test]
    fn a_failure_message_shows_no_token() {
        let reply = Reply {
            status: 200,
            headers: vec![],
            text: r#"{"access_token":"eyJ.secret.sig","refresh_token":"r-secret","token_type":"bearer"}"#
                .into(),
        };
        let shown = reply.shown();
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("bearer"), "{shown}");
    }
}
