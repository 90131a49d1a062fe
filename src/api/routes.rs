//! The route table: every path of the API and the methods it takes. The
//! handler that answers each is in `edge/http/routes.rs`.

use crate::core::problem::ApiError;

const API_PREFIX: &str = "/api/v1";

pub enum Route {
    Health,
    Ready,
    Availability,
    Roles,
    Register,
    Login,
    /// A code by SMS.
    OtpRequest,
    OtpVerify,
    Refresh,
    Logout,
    Me,
    Sessions,
    Session(String),
    Contacts,
    Contact(String),
    Users,
    User(String),
    UserRoles(String),
    Organizations,
    Organization(String),
    /// An organization's members.
    Members(String),
    /// (organization, user)
    Member(String, String),
    /// An organization's heads.
    Heads(String),
    /// (organization, user)
    Head(String, String),
    /// The signed-in user's invitations, and answering one.
    Invitations,
    AcceptInvitation(String),
    DeclineInvitation(String),
    Password,
    /// A verification link followed, and a new one asked for.
    EmailVerify,
    EmailVerification,
    /// A forgotten password: a code or link asked for, then used.
    Recovery,
    RecoveryComplete,
    /// The second factor: enrol or turn off, confirm, and the second step
    /// of a sign-in.
    Totp,
    TotpConfirm,
    LoginMfa,
    Jwks,
    /// The OpenAPI document, and the reference page rendered from it.
    OpenApi,
    Docs,
    /// The viewer's script and style, from the files mount.
    DocsAsset(String),
    /// A demo page or its script or style, from the files mount.
    DemoFile(String),
}

/// Every path the API answers, as a template (`{…}` is one non-empty
/// segment), and the route it names. The OpenAPI document lists exactly
/// these (a test compares them), and request logs name the template.
type Build = fn(Vec<String>) -> Route;
pub const TABLE: &[(&str, Build)] = &[
    ("/auth/health", |_| Route::Health),
    ("/auth/ready", |_| Route::Ready),
    ("/auth/availability", |_| Route::Availability),
    ("/auth/roles", |_| Route::Roles),
    ("/auth/register", |_| Route::Register),
    ("/auth/login", |_| Route::Login),
    ("/auth/login/mfa", |_| Route::LoginMfa),
    ("/auth/otp/request", |_| Route::OtpRequest),
    ("/auth/otp/verify", |_| Route::OtpVerify),
    ("/auth/refresh", |_| Route::Refresh),
    ("/auth/logout", |_| Route::Logout),
    ("/auth/me", |_| Route::Me),
    ("/auth/password", |_| Route::Password),
    ("/auth/email/verify", |_| Route::EmailVerify),
    ("/auth/email/verification", |_| Route::EmailVerification),
    ("/auth/recovery", |_| Route::Recovery),
    ("/auth/recovery/complete", |_| Route::RecoveryComplete),
    ("/auth/mfa/totp", |_| Route::Totp),
    ("/auth/mfa/totp/confirm", |_| Route::TotpConfirm),
    ("/auth/sessions", |_| Route::Sessions),
    ("/auth/sessions/{id}", |mut p| Route::Session(p.remove(0))),
    ("/auth/contacts", |_| Route::Contacts),
    ("/auth/contacts/{id}", |mut p| Route::Contact(p.remove(0))),
    ("/auth/invitations", |_| Route::Invitations),
    ("/auth/invitations/{id}/accept", |mut p| {
        Route::AcceptInvitation(p.remove(0))
    }),
    ("/auth/invitations/{id}/decline", |mut p| {
        Route::DeclineInvitation(p.remove(0))
    }),
    ("/auth/.well-known/jwks.json", |_| Route::Jwks),
    ("/users", |_| Route::Users),
    ("/users/{id}", |mut p| Route::User(p.remove(0))),
    ("/users/{id}/roles", |mut p| Route::UserRoles(p.remove(0))),
    ("/organizations", |_| Route::Organizations),
    ("/organizations/{id}", |mut p| {
        Route::Organization(p.remove(0))
    }),
    ("/organizations/{id}/members", |mut p| {
        Route::Members(p.remove(0))
    }),
    ("/organizations/{id}/members/{user_id}", |mut p| {
        Route::Member(p.remove(0), p.remove(0))
    }),
    ("/organizations/{id}/heads", |mut p| {
        Route::Heads(p.remove(0))
    }),
    ("/organizations/{id}/heads/{user_id}", |mut p| {
        Route::Head(p.remove(0), p.remove(0))
    }),
    ("/openapi.json", |_| Route::OpenApi),
    ("/docs", |_| Route::Docs),
    ("/docs/{asset}", |mut p| Route::DocsAsset(p.remove(0))),
];

/// The demo pages (static/demo), outside the API: plain HTML and
/// JavaScript that sign in with cookies, for browsers and the front-end
/// team. Not in the OpenAPI document.
pub const PAGES: &[(&str, Build)] = &[
    ("/", |_| Route::DemoFile("index.html".into())),
    // Where the links of emails lead (SPEC §6a): the demo's page reads the
    // token from the fragment.
    ("/verify-email", |_| Route::DemoFile("index.html".into())),
    ("/reset-password", |_| Route::DemoFile("index.html".into())),
    ("/demo/{file}", |mut p| Route::DemoFile(p.remove(0))),
];

impl Route {
    /// The route for a path and the template it matched, or 404.
    pub fn find(path: &str) -> Result<(Route, &'static str), ApiError> {
        let Some(rest) = path.strip_prefix(API_PREFIX) else {
            return PAGES
                .iter()
                .find_map(|(template, build)| {
                    matches(template, path).map(|params| (build(params), *template))
                })
                .ok_or(ApiError::NotFound);
        };
        for (template, build) in TABLE {
            if let Some(params) = matches(template, rest) {
                return Ok((build(params), template));
            }
        }
        Err(ApiError::NotFound)
    }

    /// The methods this path answers (HEAD wherever GET: RFC 9110 §9.1).
    pub fn allowed_methods(&self) -> &'static [&'static str] {
        match self {
            Route::Health
            | Route::Ready
            | Route::Availability
            | Route::Roles
            | Route::Me
            | Route::Sessions
            | Route::Invitations
            | Route::Jwks
            | Route::OpenApi
            | Route::Docs
            | Route::DocsAsset(_)
            | Route::DemoFile(_) => &["GET", "HEAD"],
            Route::Session(_) | Route::Contact(_) => &["DELETE"],
            Route::Contacts
            | Route::UserRoles(_)
            | Route::AcceptInvitation(_)
            | Route::DeclineInvitation(_) => &["POST"],
            Route::Users | Route::Organizations | Route::Members(_) => &["GET", "HEAD", "POST"],
            Route::User(_) => &["PATCH"],
            Route::Organization(_) => &["GET", "HEAD", "PATCH"],
            Route::Member(..) | Route::Head(..) => &["DELETE"],
            Route::Heads(_) => &["POST"],
            Route::Register
            | Route::Login
            | Route::OtpRequest
            | Route::OtpVerify
            | Route::Refresh
            | Route::Logout
            | Route::Password
            | Route::EmailVerify
            | Route::EmailVerification
            | Route::Recovery
            | Route::RecoveryComplete
            | Route::TotpConfirm
            | Route::LoginMfa => &["POST"],
            Route::Totp => &["POST", "DELETE"],
        }
    }
}

/// The template's parameters in `path` when every segment matches: a
/// literal one as written, a `{…}` one any non-empty segment.
fn matches(template: &str, path: &str) -> Option<Vec<String>> {
    let (mut want, mut got) = (template.split('/'), path.split('/'));
    let mut params = Vec::new();
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(g)) if w.starts_with('{') && !g.is_empty() => params.push(g.to_string()),
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_names_its_route_and_template() {
        let (route, template) = Route::find("/api/v1/organizations/o1/members/u2").unwrap();
        assert_eq!(template, "/organizations/{id}/members/{user_id}");
        assert!(matches!(route, Route::Member(o, u) if o == "o1" && u == "u2"));
        let (route, _) = Route::find("/api/v1/users/u1/roles").unwrap();
        assert!(matches!(route, Route::UserRoles(u) if u == "u1"));
        let (route, template) = Route::find("/api/v1/auth/invitations/i1/accept").unwrap();
        assert_eq!(template, "/auth/invitations/{id}/accept");
        assert!(matches!(route, Route::AcceptInvitation(i) if i == "i1"));
        let (route, _) = Route::find("/api/v1/auth/invitations/i1/decline").unwrap();
        assert!(matches!(route, Route::DeclineInvitation(i) if i == "i1"));
        let (route, template) = Route::find("/").unwrap();
        assert!(matches!(route, Route::DemoFile(f) if f == "index.html"));
        assert_eq!(template, "/");
    }

    #[test]
    fn empty_or_extra_segments_are_not_found() {
        for path in [
            "/api/v1/users//roles",
            "/api/v1/auth/sessions/",
            "/api/v1/organizations/o1/members/u2/x",
            "/api/v1/auth/me/",
            "/api/v1/auth/invitations/i1",
            "/api/v1/auth/invitations//accept",
            "/api/v2/auth/me",
            "/auth/me",
            "/demo/a/b",
            "/index.html",
        ] {
            assert!(Route::find(path).is_err(), "{path}");
        }
    }
}
