//! Emails go out through a gateway as SMS do (SPEC §6a; issue 28 item 1):
//! each format is spoken as its service expects, against a real HTTP server
//! on loopback, and a gateway that fails, hangs or is down is a 503 within
//! its timeout, with nothing counted as sent (the next request is not held
//! back by a resend delay).

use e2e::{free_port, sign_up, GatewayMode, Mailbox, GATEWAY_TOKEN};
use serde_json::json;
use std::time::{Duration, Instant};

fn ask_for_link(mailbox: &Mailbox, token: &str, address: &str) -> (e2e::Reply, Duration) {
    let started = Instant::now();
    let reply = mailbox.api().bearer(
        "POST",
        "/api/v1/auth/email/verification",
        token,
        Some(&json!({"email": address})),
    );
    (reply, started.elapsed())
}

#[test]
fn each_format_is_spoken_as_its_service_expects() {
    for kind in ["webhook", "postmark", "mailgun"] {
        let mailbox = Mailbox::start(kind, &[]);
        let user = sign_up(mailbox.api());
        let sent = mailbox.mail.emails_to(&user.person.email);
        assert_eq!(sent.len(), 1, "{kind}: the registration's link");
        let message = &sent[0];
        assert_eq!(
            message.subject().as_deref(),
            Some("Подтвердите адрес электронной почты"),
            "{kind}"
        );
        match kind {
            "webhook" => {
                assert_eq!(message.path, "/send-email");
                assert_eq!(
                    message.header("authorization"),
                    Some(format!("Bearer {GATEWAY_TOKEN}").as_str())
                );
            }
            "postmark" => {
                assert_eq!(message.path, "/email");
                assert_eq!(
                    message.header("x-postmark-server-token"),
                    Some(GATEWAY_TOKEN)
                );
                let body: serde_json::Value = serde_json::from_slice(&message.body).unwrap();
                assert_eq!(body["From"], "Logistics <no-reply@example.test>");
            }
            _ => {
                assert_eq!(message.path, "/v3/mg.example.test/messages");
                let basic = message.header("authorization").unwrap();
                assert!(basic.starts_with("Basic "), "{basic}");
                assert_eq!(
                    message.header("content-type"),
                    Some("application/x-www-form-urlencoded")
                );
            }
        }
        let verified = mailbox.follow_verification_link(&user.person.email);
        assert_eq!(verified.status, 200, "{kind}: {}", verified.text);
    }
}

#[test]
fn a_failing_hanging_or_absent_gateway_is_503_within_the_timeout_and_counts_nothing() {
    // A resend delay, so a link counted as sent would hold the next back.
    let extra = [("SPIN_VARIABLE_OTP_RESEND_SECONDS", "60")];
    for kind in ["webhook", "postmark", "mailgun"] {
        let mailbox = Mailbox::start(kind, &extra);
        let user = sign_up(mailbox.api());
        let address = &user.person.email;
        // The registration's own link makes the first resend wait: a link
        // not sent since must not.
        let (early, _) = ask_for_link(&mailbox, &user.access_token, address);
        assert_eq!(early.status, 429, "{kind}: the resend delay holds");
        e2e::admin_db()
            .execute(
                "UPDATE auth.email_links SET created_at = now() - interval '2 minutes'
                 WHERE user_id = $1::text::uuid",
                &[&user.user_id],
            )
            .unwrap();
        for mode in [GatewayMode::Fails, GatewayMode::Hangs] {
            mailbox.mail.set_mode(mode);
            let (reply, took) = ask_for_link(&mailbox, &user.access_token, address);
            let problem = reply.problem(503);
            assert!(
                problem["detail"]
                    .as_str()
                    .unwrap()
                    .contains("email gateway"),
                "{kind} {mode:?}: {problem}"
            );
            assert!(
                took < Duration::from_millis(4000),
                "{kind} {mode:?}: answered within the 1.5 s timeout and a margin, took {took:?}"
            );
        }
        mailbox.mail.set_mode(GatewayMode::Takes);
        let (sent, _) = ask_for_link(&mailbox, &user.access_token, address);
        assert_eq!(
            sent.status, 202,
            "{kind}: nothing counted as sent: {}",
            sent.text
        );
    }

    // No gateway listening at all.
    let closed = format!("http://127.0.0.1:{}", free_port());
    let mailbox = Mailbox::start(
        "webhook",
        &[
            ("SPIN_VARIABLE_EMAIL_GATEWAY_URL", closed.as_str()),
            ("SPIN_VARIABLE_EMAIL_GATEWAY_ORIGIN", closed.as_str()),
        ],
    );
    let user = sign_up(mailbox.api());
    let (reply, took) = ask_for_link(&mailbox, &user.access_token, &user.person.email);
    reply.problem(503);
    assert!(took < Duration::from_millis(4000), "took {took:?}");
}
