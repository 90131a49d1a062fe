//! Forged, altered and misused access tokens are all refused with the same
//! 401 (SPEC §5). The shared host signs with HS256; the algorithm-confusion
//! case against EdDSA lives in `eddsa_keys_and_jwks.rs`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use e2e::{claims_of, env, sign_up, Api};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn header() -> Header {
    let mut h = Header::new(Algorithm::HS256);
    h.typ = Some("at+jwt".into());
    h
}

fn sign(header: &Header, claims: &Value) -> String {
    encode(
        header,
        claims,
        &EncodingKey::from_secret(env("AUTH_JWT_SECRET").as_bytes()),
    )
    .unwrap()
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

#[test]
fn every_attack_gets_the_same_401() {
    let api = Api::new();
    let user = sign_up(&api);
    let good = claims_of(&user.access_token);
    // The genuine token works, and a token re-signed with the real key from
    // the genuine claims works too: so each refusal below is for its one flaw.
    assert_eq!(api.me(&user.access_token).status, 200);
    assert_eq!(api.me(&sign(&header(), &good)).status, 200);

    let with = |edit: &dyn Fn(&mut Value)| {
        let mut c = good.clone();
        edit(&mut c);
        c
    };
    let (head, body, sig) = {
        let parts: Vec<&str> = user.access_token.split('.').collect();
        (
            parts[0].to_string(),
            parts[1].to_string(),
            parts[2].to_string(),
        )
    };
    let mut jku = header();
    jku.jku = Some("https://attacker.example/jwks.json".into());
    let mut plain_jwt = header();
    plain_jwt.typ = Some("JWT".into());

    let attacks: Vec<(&str, String)> = vec![
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "at+jwt"})),
                body
            ),
        ),
        (
            "expired",
            sign(
                &header(),
                &with(&|c| {
                    c["iat"] = json!(now() - 4000);
                    c["exp"] = json!(now() - 60)
                }),
            ),
        ),
        (
            "wrong iss",
            sign(&header(), &with(&|c| c["iss"] = json!("someone-else"))),
        ),
        (
            "wrong aud",
            sign(&header(), &with(&|c| c["aud"] = json!("another-audience"))),
        ),
        (
            "missing sid",
            sign(
                &header(),
                &with(&|c| {
                    c.as_object_mut().unwrap().remove("sid");
                }),
            ),
        ),
        (
            "tampered payload",
            format!(
                "{head}.{}.{sig}",
                b64(&with(&|c| c["roles"] = json!(["superadmin"])))
            ),
        ),
        (
            "tampered signature",
            format!("{head}.{body}.{}", {
                let mut s = sig.into_bytes();
                s[3] = if s[3] == b'A' { b'B' } else { b'A' };
                String::from_utf8(s).unwrap()
            }),
        ),
        ("refresh token as access token", user.refresh_token.clone()),
        ("jku header", sign(&jku, &good)),
        ("typ JWT instead of at+jwt", sign(&plain_jwt, &good)),
        (
            "HS512",
            encode(
                &{
                    let mut h = header();
                    h.alg = Algorithm::HS512;
                    h
                },
                &good,
                &EncodingKey::from_secret(env("AUTH_JWT_SECRET").as_bytes()),
            )
            .unwrap(),
        ),
        ("garbage", "definitely.not.a-jwt".to_string()),
    ];
    let expected = api.me("x").problem(401);
    for (name, token) in &attacks {
        let reply = api.me(token);
        assert_eq!(reply.status, 401, "{name}: {}", reply.text);
        assert_eq!(reply.problem(401), expected, "{name}");
    }

    // A token of a revoked session, itself unexpired and validly signed.
    let second = api
        .login(&user.person.second_login, &user.person.password)
        .json();
    let second_access = second["access_token"].as_str().unwrap().to_string();
    let sid = claims_of(&second_access)["sid"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        api.bearer(
            "DELETE",
            &format!("/api/v1/auth/sessions/{sid}"),
            &user.access_token,
            None
        )
        .status,
        204
    );
    assert_eq!(
        api.me(&second_access).problem(401),
        expected,
        "revoked session"
    );
    assert_eq!(
        api.me(&sign(&header(), &claims_of(&second_access)))
            .problem(401),
        expected
    );
}
