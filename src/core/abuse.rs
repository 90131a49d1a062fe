//! Abuse protection (SPEC §6), decided here and counted in Redis: the login
//! lockout per (login, client IP) and per login from every IP, and the
//! per-client-IP rate limits. Each limit is a counting [`Window`]; the Redis
//! adapter checks and counts all windows of one request atomically (one
//! script), *before* any password is checked, so parallel guesses cannot slip
//! past a limit.

use crate::core::client_address::canonical;
use ipnet::Ipv6Net;
use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// The limits, from Spin variables (SPEC §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failed logins per (login, client IP) before that pair is locked.
    pub login_max_failures: u32,
    /// How long the failures are counted, and how long a lock lasts.
    pub login_lock_seconds: u32,
    /// Failed logins per login from all IPs in an hour before the login is
    /// locked for everyone (NIST 800-63B §5.2.2).
    pub login_max_failures_per_hour: u32,
    /// The window of the per-client-IP rate limits.
    pub rate_limit_window_seconds: u32,
    pub login_rate_limit_per_ip: u32,
    pub register_rate_limit_per_ip: u32,
    pub availability_rate_limit_per_ip: u32,
    /// Users a signed-in grantor may create per window (each costs a hash).
    pub create_user_rate_limit_per_caller: u32,
    /// Code requests (each may cost an SMS) per phone, and per client IP, in
    /// an hour.
    pub otp_sms_per_phone_per_hour: u32,
    pub otp_sms_per_ip_per_hour: u32,
    /// Code requests in an hour from everyone together: the SMS bill's
    /// ceiling, past which codes are refused (503) until the hour ends.
    pub otp_sms_per_hour: u32,
    /// Recovery requests per login, and per client IP, in an hour.
    pub recovery_per_login_per_hour: u32,
    pub recovery_per_ip_per_hour: u32,
    /// Emails (links) per address in an hour.
    pub email_per_address_per_hour: u32,
    /// Verification links one account may have sent in an hour.
    pub email_per_user_per_hour: u32,
    /// Emails from everyone together in an hour: the email bill's and the
    /// sender reputation's ceiling.
    pub email_per_hour: u32,
}

/// One counting window. With `lock_seconds > 0` it is a lockout: the attempt
/// that reaches `limit` locks the key for that long. With `lock_seconds == 0`
/// it is a rate limit: the window refuses once it holds `limit` attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub key: String,
    pub limit: u32,
    pub period_seconds: u32,
    pub lock_seconds: u32,
}

impl Window {
    /// The key of this window's lock.
    pub fn lock_key(&self) -> String {
        format!("{}:lock", self.key)
    }
}

/// What the counters say about an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Counted; go on.
    Allowed,
    /// Not counted; refuse with 429 and `Retry-After`.
    Refused { retry_after_seconds: u32 },
}

/// What a successful login takes back: the pair's failures are cleared, and
/// the attempt, counted in advance, is no failure of the login either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forgiveness {
    /// Deleted: the pair's counter and its lock.
    pub delete: Vec<String>,
    /// Decremented by one.
    pub decrement: Vec<String>,
}

/// Endpoints with a per-client-IP rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    Login,
    Register,
    /// No cheaper an enumeration oracle than registration.
    Availability,
}

impl Limited {
    fn name(self) -> &'static str {
        match self {
            Limited::Login => "login",
            Limited::Register => "register",
            Limited::Availability => "availability",
        }
    }
}

const PREFIX: &str = "auth:throttle";

/// The client IP as a key part ("unknown" when the host gave none). An IPv6
/// client is counted by its /64: one subscriber commonly holds a whole /64
/// and could otherwise take a fresh address for every attempt.
fn ip_part(ip: Option<&str>) -> String {
    let Some(ip) = ip.filter(|ip| !ip.is_empty()) else {
        return "unknown".into();
    };
    match ip.parse::<IpAddr>().map(canonical) {
        Ok(IpAddr::V6(v6)) => Ipv6Net::new(v6, 64)
            .map(|net| net.trunc().to_string())
            .unwrap_or_else(|_| ip.to_string()),
        Ok(v4) => v4.to_string(),
        Err(_) => ip.to_string(),
    }
}

/// Logins are personal data: the keys hold a digest, not the login itself.
/// A counter's key without the prefix every counter shares, for logs.
pub fn counter_name(key: &str) -> &str {
    key.strip_prefix(PREFIX)
        .and_then(|k| k.strip_prefix(':'))
        .unwrap_or(key)
}

fn login_part(normalized_login: &str) -> String {
    let digest = Sha256::digest(normalized_login.as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

fn pair_key(login: &str, ip: Option<&str>) -> String {
    format!("{PREFIX}:login-pair:{}:{}", login_part(login), ip_part(ip))
}

fn login_key(login: &str) -> String {
    format!("{PREFIX}:login:{}", login_part(login))
}

/// The per-client-IP rate limit of an endpoint.
pub fn rate_window(limits: &Limits, endpoint: Limited, ip: Option<&str>) -> Window {
    let limit = match endpoint {
        Limited::Login => limits.login_rate_limit_per_ip,
        Limited::Register => limits.register_rate_limit_per_ip,
        Limited::Availability => limits.availability_rate_limit_per_ip,
    };
    Window {
        key: format!("{PREFIX}:ip:{}:{}", endpoint.name(), ip_part(ip)),
        limit,
        period_seconds: limits.rate_limit_window_seconds,
        lock_seconds: 0,
    }
}

/// Every window a login attempt is counted in. `login` is the normalized
/// login as typed (known or not: an unknown login is counted the same way, so
/// the answer tells nothing about whether it exists).
pub fn login_windows(limits: &Limits, login: &str, ip: Option<&str>) -> Vec<Window> {
    vec![
        Window {
            key: pair_key(login, ip),
            limit: limits.login_max_failures,
            period_seconds: limits.login_lock_seconds,
            lock_seconds: limits.login_lock_seconds,
        },
        Window {
            key: login_key(login),
            limit: limits.login_max_failures_per_hour,
            period_seconds: 3600,
            lock_seconds: limits.login_lock_seconds,
        },
        rate_window(limits, Limited::Login, ip),
    ]
}

/// Every window a check of a signed-in user's current password is counted
/// in: the login lockout of each of their logins (second_login, phone,
/// emails, as stored), so a stolen access token guesses no faster than
/// login does, and a pair or login locked by either is locked for both.
pub fn password_check_windows(limits: &Limits, logins: &[String], ip: Option<&str>) -> Vec<Window> {
    // Each login's pair and login windows; not the per-IP rate of the login
    // form, which counts requests to it.
    logins
        .iter()
        .flat_map(|login| login_windows(limits, login, ip).into_iter().take(2))
        .collect()
}

/// What a correct current password takes back: as a successful login of
/// each of the user's logins.
pub fn password_check_succeeded(logins: &[String], ip: Option<&str>) -> Forgiveness {
    let each: Vec<Forgiveness> = logins.iter().map(|l| login_succeeded(l, ip)).collect();
    Forgiveness {
        delete: each.iter().flat_map(|f| f.delete.clone()).collect(),
        decrement: each.into_iter().flat_map(|f| f.decrement).collect(),
    }
}

/// Users created by one signed-in caller per window.
pub fn create_user_window(limits: &Limits, caller_user_id: &str) -> Window {
    Window {
        key: format!("{PREFIX}:create-user:{caller_user_id}"),
        limit: limits.create_user_rate_limit_per_caller,
        period_seconds: limits.rate_limit_window_seconds,
        lock_seconds: 0,
    }
}

/// Every window a code request is counted in: per phone and purpose and per
/// client IP, each an hour, whether the phone is known or not (SMS costs
/// money). Per purpose: what is sent to a phone for one purpose is counted
/// apart, so requests for a purpose that sends a phone nothing (`register`
/// for a taken phone) cannot silence its owner's `login` codes.
pub fn code_request_windows(
    limits: &Limits,
    purpose: &str,
    phone: &str,
    ip: Option<&str>,
) -> Vec<Window> {
    vec![
        sms_phone_window(limits, purpose, phone),
        Window {
            key: format!("{PREFIX}:sms-ip:{}", ip_part(ip)),
            limit: limits.otp_sms_per_ip_per_hour,
            period_seconds: 3600,
            lock_seconds: 0,
        },
    ]
}

/// The SMS sent to one phone for one purpose in an hour.
pub fn sms_phone_window(limits: &Limits, purpose: &str, phone: &str) -> Window {
    Window {
        key: format!("{PREFIX}:sms-phone:{purpose}:{}", login_part(phone)),
        limit: limits.otp_sms_per_phone_per_hour,
        period_seconds: 3600,
        lock_seconds: 0,
    }
}

/// Every window a recovery request (or a completion by link) is counted
/// in before anything is looked up: per login as typed (known or not, so a
/// refusal tells nothing) and per client IP, each an hour.
pub fn recovery_windows(limits: &Limits, login: Option<&str>, ip: Option<&str>) -> Vec<Window> {
    let per_ip = Window {
        key: format!("{PREFIX}:recovery-ip:{}", ip_part(ip)),
        limit: limits.recovery_per_ip_per_hour,
        period_seconds: 3600,
        lock_seconds: 0,
    };
    let per_login = login.map(|login| Window {
        key: format!("{PREFIX}:recovery-login:{}", login_part(login)),
        limit: limits.recovery_per_login_per_hour,
        period_seconds: 3600,
        lock_seconds: 0,
    });
    per_login.into_iter().chain([per_ip]).collect()
}

/// What an email is, for its caps: each kind is counted per address on a
/// counter of its own, so that nobody's claims or recovery requests use up
/// the emails an address's holder asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailKind {
    /// A verification link for an address the account holds.
    Verification,
    /// A verification link claiming an address another account holds
    /// unverified.
    Claim,
    /// A recovery link.
    Recovery,
}

/// Every window one email is counted in: per address and kind, per account
/// that asked (verification links), and the service's hourly email budget.
pub fn email_windows(
    limits: &Limits,
    kind: EmailKind,
    address: &str,
    asked_by: Option<&str>,
) -> Vec<Window> {
    let address_key = match (kind, asked_by) {
        (EmailKind::Verification, _) => format!("{PREFIX}:email-to:{}", login_part(address)),
        // Per address and claimant: one claimant's links never use up the
        // others' (the address's real owner among them).
        (EmailKind::Claim, claimant) => format!(
            "{PREFIX}:email-claim:{}:{}",
            login_part(address),
            claimant.unwrap_or("-")
        ),
        (EmailKind::Recovery, _) => format!("{PREFIX}:recovery-to:{}", login_part(address)),
    };
    let mut windows = vec![Window {
        key: address_key,
        limit: limits.email_per_address_per_hour,
        period_seconds: 3600,
        lock_seconds: 0,
    }];
    if kind == EmailKind::Claim {
        // And all claimants of an address together, so that a crowd of
        // accounts cannot flood one inbox (four times one claimant's).
        windows.push(Window {
            key: format!("{PREFIX}:email-claims:{}", login_part(address)),
            limit: limits.email_per_address_per_hour.saturating_mul(4),
            period_seconds: 3600,
            lock_seconds: 0,
        });
    }
    if let Some(user_id) = asked_by {
        windows.push(Window {
            key: format!("{PREFIX}:email-user:{user_id}"),
            limit: limits.email_per_user_per_hour,
            period_seconds: 3600,
            lock_seconds: 0,
        });
    }
    // Recovery has a budget of its own: registrations, which anyone can
    // make, must not spend the emails that let people back in.
    let budget = match kind {
        EmailKind::Recovery => "recovery-all",
        EmailKind::Verification | EmailKind::Claim => "email-all",
    };
    windows.push(Window {
        key: format!("{PREFIX}:{budget}"),
        limit: limits.email_per_hour,
        period_seconds: 3600,
        lock_seconds: 0,
    });
    windows
}

/// What a counted message that was not sent gives back.
pub fn unsent(windows: &[Window]) -> Forgiveness {
    Forgiveness {
        delete: vec![],
        decrement: windows.iter().map(|w| w.key.clone()).collect(),
    }
}

/// What a completed recovery clears: each login's lockout from every IP
/// together, and the pair of the client that completed it (a pair locked
/// from elsewhere stays locked: it may be the attacker's).
pub fn lockout_cleared(logins: &[String], ip: Option<&str>) -> Forgiveness {
    Forgiveness {
        delete: logins
            .iter()
            .flat_map(|login| {
                let (pair, all) = (pair_key(login, ip), login_key(login));
                [format!("{pair}:lock"), pair, format!("{all}:lock"), all]
            })
            .collect(),
        decrement: vec![],
    }
}

/// The service's whole SMS budget: every code request counted in one
/// hourly window, whatever the phone (counted alike for known and unknown
/// phones, so refusals tell nothing about accounts).
pub fn sms_budget_window(limits: &Limits) -> Window {
    Window {
        key: format!("{PREFIX}:sms-all"),
        limit: limits.otp_sms_per_hour,
        period_seconds: 3600,
        lock_seconds: 0,
    }
}

/// Every window a code try is counted in: the login lockout's rules (per
/// phone and client IP, per phone from every IP), on counters of their own,
/// so code failures and password failures lock apart (SPEC §6).
pub fn code_try_windows(limits: &Limits, phone: &str, ip: Option<&str>) -> Vec<Window> {
    let mut windows = login_windows(limits, phone, ip);
    for window in &mut windows {
        window.key = window.key.replacen(PREFIX, CODE_PREFIX, 1);
    }
    windows
}

/// What a right code takes back, as a successful login does.
pub fn code_succeeded(phone: &str, ip: Option<&str>) -> Forgiveness {
    let login = login_succeeded(phone, ip);
    let renamed = |keys: Vec<String>| {
        keys.into_iter()
            .map(|k| k.replacen(PREFIX, CODE_PREFIX, 1))
            .collect()
    };
    Forgiveness {
        delete: renamed(login.delete),
        decrement: renamed(login.decrement),
    }
}

const CODE_PREFIX: &str = "auth:throttle-code";

const MFA_PREFIX: &str = "auth:throttle-mfa";

/// Wrong second-factor codes one account may get in an hour, and in a day,
/// from every client together, before its second step is locked for that
/// long. A code is one of three valid at a time in a million: without a
/// cap of its own, someone holding the password could try codes forever.
pub const SECOND_FACTOR_FAILURES_PER_HOUR: u32 = 20;
pub const SECOND_FACTOR_FAILURES_PER_DAY: u32 = 50;

/// Every window a second-factor try (sign-in, confirming, turning it off)
/// is counted in: per (user, client IP) as the login lockout, and per user
/// per hour and per day, on counters apart from the password's and the
/// codes' (a lock here locks neither).
pub fn second_factor_windows(limits: &Limits, user_id: &str, ip: Option<&str>) -> Vec<Window> {
    vec![
        Window {
            key: format!("{MFA_PREFIX}:pair:{user_id}:{}", ip_part(ip)),
            limit: limits.login_max_failures,
            period_seconds: limits.login_lock_seconds,
            lock_seconds: limits.login_lock_seconds,
        },
        Window {
            key: format!("{MFA_PREFIX}:hour:{user_id}"),
            limit: SECOND_FACTOR_FAILURES_PER_HOUR,
            period_seconds: 3600,
            lock_seconds: 3600,
        },
        Window {
            key: format!("{MFA_PREFIX}:day:{user_id}"),
            limit: SECOND_FACTOR_FAILURES_PER_DAY,
            period_seconds: 86_400,
            lock_seconds: 86_400,
        },
    ]
}

/// What a right second factor takes back: the pair's count, and this try
/// from the user's hourly and daily counts.
pub fn second_factor_succeeded(limits: &Limits, user_id: &str, ip: Option<&str>) -> Forgiveness {
    let windows = second_factor_windows(limits, user_id, ip);
    Forgiveness {
        delete: vec![windows[0].lock_key(), windows[0].key.clone()],
        decrement: vec![windows[1].key.clone(), windows[2].key.clone()],
    }
}

/// What a completed password reset clears of the user's second-factor
/// locks (their owner is back in control): the user's hourly and daily
/// counts and locks, and the completing client's pair.
pub fn second_factor_cleared(limits: &Limits, user_id: &str, ip: Option<&str>) -> Forgiveness {
    let windows = second_factor_windows(limits, user_id, ip);
    Forgiveness {
        delete: windows
            .iter()
            .flat_map(|w| [w.lock_key(), w.key.clone()])
            .collect(),
        decrement: vec![],
    }
}

/// What a successful login of `login` from `ip` takes back.
pub fn login_succeeded(login: &str, ip: Option<&str>) -> Forgiveness {
    let pair = pair_key(login, ip);
    Forgiveness {
        delete: vec![format!("{pair}:lock"), pair],
        decrement: vec![login_key(login)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            login_max_failures: 15,
            login_lock_seconds: 300,
            login_max_failures_per_hour: 100,
            rate_limit_window_seconds: 60,
            login_rate_limit_per_ip: 30,
            register_rate_limit_per_ip: 10,
            availability_rate_limit_per_ip: 60,
            otp_sms_per_phone_per_hour: 5,
            otp_sms_per_ip_per_hour: 20,
            otp_sms_per_hour: 1000,
            create_user_rate_limit_per_caller: 30,
            recovery_per_login_per_hour: 5,
            recovery_per_ip_per_hour: 20,
            email_per_address_per_hour: 5,
            email_per_user_per_hour: 10,
            email_per_hour: 1000,
        }
    }

    #[test]
    fn each_kind_of_email_counts_per_address_on_its_own_counter() {
        let verification = email_windows(&limits(), EmailKind::Verification, "a@x.io", Some("u1"));
        let claim = email_windows(&limits(), EmailKind::Claim, "a@x.io", Some("u2"));
        let recovery = email_windows(&limits(), EmailKind::Recovery, "a@x.io", None);
        assert_eq!(verification.len(), 3);
        assert_eq!(recovery.len(), 2, "no account asked");
        assert_ne!(verification[0].key, claim[0].key);
        assert_ne!(verification[0].key, recovery[0].key);
        assert!(verification.iter().all(|w| !w.key.contains("a@x.io")));
        assert_eq!(
            verification[2].key, claim[3].key,
            "one budget for links to verify"
        );
        assert_eq!(claim[1].limit, 20, "every claimant of an address together");
        assert_ne!(
            verification[2].key, recovery[1].key,
            "recovery's own budget"
        );
        let other_claimant = email_windows(&limits(), EmailKind::Claim, "a@x.io", Some("u3"));
        assert_ne!(claim[0].key, other_claimant[0].key, "per claimant");
        assert_eq!(claim[1].key, other_claimant[1].key, "and all together");
        assert_eq!(unsent(&recovery).decrement.len(), 2);
    }

    #[test]
    fn a_recovery_counts_per_login_and_per_ip_and_clears_every_lock_of_a_login() {
        let windows = recovery_windows(&limits(), Some("ivan"), Some("203.0.113.7"));
        assert_eq!(windows.len(), 2);
        assert!(windows.iter().all(|w| !w.key.contains("ivan")));
        assert_eq!(windows[0].limit, 5);
        assert!(windows[1].key.ends_with(":recovery-ip:203.0.113.7"));
        assert_eq!(recovery_windows(&limits(), None, None).len(), 1);
        let locked = login_windows(&limits(), "ivan", Some("203.0.113.7"));
        let cleared = lockout_cleared(&["ivan".to_string()], Some("203.0.113.7"));
        for window in &locked[..2] {
            assert!(cleared.delete.contains(&window.key), "{}", window.key);
            assert!(cleared.delete.contains(&window.lock_key()));
        }
        let elsewhere = login_windows(&limits(), "ivan", Some("198.51.100.9"));
        assert!(!cleared.delete.contains(&elsewhere[0].key));
    }

    #[test]
    fn a_login_counts_per_pair_per_login_and_per_ip() {
        let windows = login_windows(&limits(), "ivan", Some("203.0.113.7"));
        let shape: Vec<(u32, u32, u32)> = windows
            .iter()
            .map(|w| (w.limit, w.period_seconds, w.lock_seconds))
            .collect();
        assert_eq!(shape, vec![(15, 300, 300), (100, 3600, 300), (30, 60, 0)]);
        assert!(windows[0].key.ends_with(":203.0.113.7"));
        assert!(windows[2].key.ends_with(":login:203.0.113.7"));
    }

    #[test]
    fn keys_hold_no_login_and_differ_per_login_and_ip() {
        let a = login_windows(&limits(), "+79991234567", Some("198.51.100.1"));
        assert!(a.iter().all(|w| !w.key.contains("79991234567")));
        let other_ip = login_windows(&limits(), "+79991234567", Some("198.51.100.2"));
        assert_ne!(a[0].key, other_ip[0].key, "the pair differs per IP");
        assert_eq!(a[1].key, other_ip[1].key, "the login window spans IPs");
        let other_login = login_windows(&limits(), "+79991234568", Some("198.51.100.1"));
        assert_ne!(a[1].key, other_login[1].key);
    }

    #[test]
    fn success_forgives_the_pair_and_the_advance_count() {
        let windows = login_windows(&limits(), "ivan", Some("203.0.113.7"));
        let forgiven = login_succeeded("ivan", Some("203.0.113.7"));
        assert_eq!(
            forgiven.delete,
            vec![windows[0].lock_key(), windows[0].key.clone()]
        );
        assert_eq!(forgiven.decrement, vec![windows[1].key.clone()]);
    }

    #[test]
    fn a_password_check_counts_in_the_lockout_of_every_login_of_the_user() {
        let logins = vec!["ivan".to_string(), "+79123456789".to_string()];
        let checked = password_check_windows(&limits(), &logins, Some("203.0.113.7"));
        let ivan = login_windows(&limits(), "ivan", Some("203.0.113.7"));
        let phone = login_windows(&limits(), "+79123456789", Some("203.0.113.7"));
        assert_eq!(
            checked,
            vec![
                ivan[0].clone(),
                ivan[1].clone(),
                phone[0].clone(),
                phone[1].clone()
            ]
        );
        let forgiven = password_check_succeeded(&logins, Some("203.0.113.7"));
        assert_eq!(
            forgiven.decrement,
            vec![ivan[1].key.clone(), phone[1].key.clone()]
        );
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64() {
        let a = rate_window(&limits(), Limited::Login, Some("2001:db8:1:2:aaaa::1"));
        let b = rate_window(&limits(), Limited::Login, Some("2001:db8:1:2:bbbb::7"));
        let other = rate_window(&limits(), Limited::Login, Some("2001:db8:1:3::1"));
        assert_eq!(a.key, b.key, "one /64, one bucket");
        assert!(a.key.ends_with(":2001:db8:1:2::/64"), "{}", a.key);
        assert_ne!(a.key, other.key);
        let mapped = rate_window(&limits(), Limited::Login, Some("::ffff:198.51.100.1"));
        assert!(mapped.key.ends_with(":198.51.100.1"), "{}", mapped.key);
    }

    #[test]
    fn without_an_address_clients_share_one_bucket() {
        let w = rate_window(&limits(), Limited::Register, None);
        assert!(w.key.ends_with(":register:unknown"));
        assert_eq!((w.limit, w.lock_seconds), (10, 0));
    }
}
