//! Browser concerns, decided without Spin: cookies for cookie mode, the
//! double-submit CSRF check, and CORS (SPEC §5).

use crate::core::problem::ApiError;
use subtle::ConstantTimeEq;

pub const CSRF_HEADER: &str = "x-csrf-token";
/// The refresh cookie goes only to the refresh endpoint.
pub const REFRESH_COOKIE_PATH: &str = "/api/v1/auth/refresh";
const API_PATH: &str = "/api/v1";

/// The names (and the access cookie's path) of cookie mode's cookies.
#[derive(Debug, PartialEq, Eq)]
pub struct CookieNames {
    pub access: &'static str,
    pub refresh: &'static str,
    pub csrf: &'static str,
    access_path: &'static str,
}

/// Served over HTTPS: prefixed names, which a browser takes only from a
/// secure origin and never from a sibling subdomain (RFC 6265bis §4.1.3):
/// `__Host-` (this host only, `Path=/`) for the access and CSRF cookies;
/// `__Secure-` for the refresh cookie, which keeps its narrow path (a
/// `__Host-` cookie must have `Path=/`).
pub const HTTPS_COOKIES: CookieNames = CookieNames {
    access: "__Host-access_token",
    refresh: "__Secure-refresh_token",
    csrf: "__Host-csrf_token",
    access_path: "/",
};

/// Served over plain HTTP (development on localhost): the plain names.
pub const HTTP_COOKIES: CookieNames = CookieNames {
    access: "access_token",
    refresh: "refresh_token",
    csrf: "csrf_token",
    access_path: API_PATH,
};

impl CookieNames {
    /// The names for a request that came over HTTPS (`https`) or not. Over
    /// HTTPS only the prefixed names are read: a plain-named cookie there
    /// may have been planted by a sibling subdomain.
    pub fn for_scheme(https: bool) -> &'static CookieNames {
        if https {
            &HTTPS_COOKIES
        } else {
            &HTTP_COOKIES
        }
    }
}

/// The value of cookie `name` in a `Cookie` header; none when the name
/// comes twice (cookie tossing: a sibling subdomain may set a `__Secure-`
/// cookie of the same name with a `Domain`, and which one is first is the
/// browser's choice).
pub fn cookie<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    let mut found = header?
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| v.trim());
    let value = found.next()?;
    if found.next().is_some() {
        return None;
    }
    Some(value).filter(|v| !v.is_empty())
}

fn set_cookie(name: &str, value: &str, path: &str, max_age: u32, http_only: bool) -> String {
    let http_only = if http_only { "; HttpOnly" } else { "" };
    format!("{name}={value}; Path={path}; Max-Age={max_age}{http_only}; Secure; SameSite=Strict")
}

/// The `Set-Cookie` values that carry a token pair to a browser. The CSRF
/// token is readable by the page's script, which echoes it in `X-CSRF-Token`.
pub fn token_cookies(
    names: &CookieNames,
    access: &str,
    access_ttl: u32,
    refresh: &str,
    refresh_ttl: u32,
    csrf: &str,
) -> Vec<String> {
    vec![
        set_cookie(names.access, access, names.access_path, access_ttl, true),
        set_cookie(
            names.refresh,
            refresh,
            REFRESH_COOKIE_PATH,
            refresh_ttl,
            true,
        ),
        set_cookie(names.csrf, csrf, "/", refresh_ttl, false),
    ]
}

/// `Set-Cookie` values that remove the token cookies (logout).
pub fn cleared_cookies(names: &CookieNames) -> Vec<String> {
    vec![
        set_cookie(names.access, "", names.access_path, 0, true),
        set_cookie(names.refresh, "", REFRESH_COOKIE_PATH, 0, true),
        set_cookie(names.csrf, "", "/", 0, false),
    ]
}

/// Double-submit check: the header must equal the cookie, compared in
/// constant time.
fn csrf_matches(header: Option<&str>, cookie: Option<&str>) -> bool {
    match (header, cookie) {
        (Some(h), Some(c)) if !h.is_empty() => h.as_bytes().ct_eq(c.as_bytes()).into(),
        _ => false,
    }
}

pub fn is_state_changing(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// What a request carries that cookie mode decides on: the one place where
/// the CSRF rule and "answer by cookie" are settled, for every route.
#[derive(Debug, Clone, Copy, Default)]
pub struct BrowserContext<'a> {
    /// `X-Auth-Mode: cookie` was sent, or the `cookie_mode` variable is on.
    pub wants_cookies: bool,
    pub state_changing: bool,
    pub csrf_header: Option<&'a str>,
    pub csrf_cookie: Option<&'a str>,
}

impl BrowserContext<'_> {
    /// The CSRF rule (double submit): a state-changing request
    /// authenticated by a cookie must echo the `csrf_token` cookie in
    /// `X-CSRF-Token`. Requests authenticated otherwise need nothing.
    pub fn check_csrf(&self, authenticated_by_cookie: bool) -> Result<(), ApiError> {
        if authenticated_by_cookie
            && self.state_changing
            && !csrf_matches(self.csrf_header, self.csrf_cookie)
        {
            return Err(ApiError::CsrfFailed);
        }
        Ok(())
    }

    /// The refresh token a refresh request presents, and how the new pair
    /// must travel. One that came by cookie is answered by cookie, always:
    /// a body would hand page script a token HttpOnly was there to hide.
    pub fn refresh_token(
        &self,
        in_body: Option<String>,
        in_cookie: Option<&str>,
    ) -> Result<PresentedRefresh, ApiError> {
        match (in_body, in_cookie) {
            (Some(token), _) => Ok(PresentedRefresh {
                token,
                answer_by_cookie: self.wants_cookies,
            }),
            (None, Some(token)) => {
                self.check_csrf(true)?;
                Ok(PresentedRefresh {
                    token: token.to_string(),
                    answer_by_cookie: true,
                })
            }
            (None, None) => Err(ApiError::InvalidRefreshToken),
        }
    }
}

/// A refresh token as presented, with how the answer must carry the new pair.
#[derive(Debug, PartialEq, Eq)]
pub struct PresentedRefresh {
    pub token: String,
    pub answer_by_cookie: bool,
}

/// The CORS response headers for a request from `origin`: none unless the
/// origin is listed in `cors_allowed_origins`.
pub fn cors_headers(origin: Option<&str>, allowed: &[String]) -> Vec<(&'static str, String)> {
    match origin {
        Some(origin) if allowed.iter().any(|a| a == origin) => vec![
            ("access-control-allow-origin", origin.to_string()),
            ("access-control-allow-credentials", "true".to_string()),
            ("vary", "Origin".to_string()),
        ],
        _ => vec![("vary", "Origin".to_string())],
    }
}

/// Extra headers of a preflight answer for an allowed origin.
pub fn preflight_headers(allowed_methods: &[&str]) -> Vec<(&'static str, String)> {
    vec![
        ("access-control-allow-methods", allowed_methods.join(", ")),
        (
            "access-control-allow-headers",
            "authorization, content-type, x-csrf-token, x-auth-mode".to_string(),
        ),
        ("access-control-max-age", "600".to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_name() {
        let h = Some("a=1; access_token=abc.def ; csrf_token=xyz");
        assert_eq!(cookie(h, "access_token"), Some("abc.def"));
        assert_eq!(cookie(h, "csrf_token"), Some("xyz"));
        assert_eq!(cookie(h, "refresh_token"), None);
        assert_eq!(cookie(None, "a"), None);
        // A name twice: neither (one may be planted).
        assert_eq!(cookie(Some("a=1; b=2; a=3"), "a"), None);
    }

    #[test]
    fn token_cookies_are_locked_down() {
        let c = token_cookies(&HTTP_COOKIES, "A", 1800, "R", 2_592_000, "C");
        assert_eq!(
            c[0],
            "access_token=A; Path=/api/v1; Max-Age=1800; HttpOnly; Secure; SameSite=Strict"
        );
        assert!(c[1].starts_with("refresh_token=R; Path=/api/v1/auth/refresh;"));
        assert!(c[1].contains("HttpOnly"));
        assert!(
            !c[2].contains("HttpOnly"),
            "the CSRF token must be readable by the page"
        );
    }

    #[test]
    fn over_https_the_cookies_carry_the_host_and_secure_prefixes() {
        let c = token_cookies(CookieNames::for_scheme(true), "A", 1800, "R", 60, "C");
        // `__Host-`: Secure, Path=/, no Domain (RFC 6265bis §4.1.3.2).
        assert_eq!(
            c[0],
            "__Host-access_token=A; Path=/; Max-Age=1800; HttpOnly; Secure; SameSite=Strict"
        );
        assert!(c[1].starts_with("__Secure-refresh_token=R; Path=/api/v1/auth/refresh;"));
        assert!(c[2].starts_with("__Host-csrf_token=C; Path=/;"));
        assert!(c.iter().all(|c| !c.contains("Domain")));
        let cleared = cleared_cookies(&HTTPS_COOKIES);
        assert!(cleared[0].starts_with("__Host-access_token=; Path=/; Max-Age=0"));
    }

    #[test]
    fn csrf_needs_an_equal_non_empty_header() {
        assert!(csrf_matches(Some("t0k"), Some("t0k")));
        assert!(!csrf_matches(Some("t0k"), Some("other")));
        assert!(!csrf_matches(None, Some("t0k")));
        assert!(!csrf_matches(Some(""), None));
    }

    fn browser(wants_cookies: bool, csrf_header: Option<&'static str>) -> BrowserContext<'static> {
        BrowserContext {
            wants_cookies,
            state_changing: true,
            csrf_header,
            csrf_cookie: Some("t0k"),
        }
    }

    #[test]
    fn a_refresh_by_cookie_is_answered_by_cookie_even_unasked() {
        let presented = browser(false, Some("t0k"))
            .refresh_token(None, Some("R"))
            .unwrap();
        assert_eq!(
            presented,
            PresentedRefresh {
                token: "R".into(),
                answer_by_cookie: true
            }
        );
    }

    #[test]
    fn a_refresh_by_cookie_needs_the_csrf_header() {
        assert_eq!(
            browser(true, None).refresh_token(None, Some("R")),
            Err(ApiError::CsrfFailed)
        );
        assert_eq!(
            browser(true, Some("forged")).refresh_token(None, Some("R")),
            Err(ApiError::CsrfFailed)
        );
    }

    #[test]
    fn a_refresh_in_the_body_is_answered_as_asked() {
        let by_body = browser(false, None).refresh_token(Some("R".into()), None);
        assert!(!by_body.unwrap().answer_by_cookie);
        let asked = browser(true, None).refresh_token(Some("R".into()), None);
        assert!(asked.unwrap().answer_by_cookie);
        assert_eq!(
            browser(false, None).refresh_token(None, None),
            Err(ApiError::InvalidRefreshToken)
        );
    }

    #[test]
    fn only_cookie_authenticated_changes_need_the_csrf_header() {
        assert!(browser(false, None).check_csrf(false).is_ok());
        assert_eq!(
            browser(false, None).check_csrf(true),
            Err(ApiError::CsrfFailed)
        );
        assert!(browser(false, Some("t0k")).check_csrf(true).is_ok());
        let read = BrowserContext {
            state_changing: false,
            ..browser(false, None)
        };
        assert!(read.check_csrf(true).is_ok());
    }

    #[test]
    fn cors_grants_only_listed_origins() {
        let allowed = vec!["https://app.example.com".to_string()];
        let granted = cors_headers(Some("https://app.example.com"), &allowed);
        assert!(granted
            .iter()
            .any(|(k, v)| *k == "access-control-allow-origin" && v == "https://app.example.com"));
        let refused = cors_headers(Some("https://evil.example"), &allowed);
        assert!(refused
            .iter()
            .all(|(k, _)| *k != "access-control-allow-origin"));
    }
}
