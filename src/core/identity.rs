//! The identity values of SPEC §2, parsed at the edge: once a value is a
//! `SecondLogin`, `Phone`, `Email` or `Password`, it is normalized and valid.

use crate::core::secret::Secret;
use std::fmt;
use std::str::FromStr;
use unicode_normalization::UnicodeNormalization;

/// Why a value was refused, in words fit for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn invalid<T>(message: &str) -> Result<T, Invalid> {
    Err(Invalid(message.to_string()))
}

/// The friendly login: trimmed, NFKC, lower-cased, 3–64 of `[a-z0-9._-]`,
/// starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondLogin(String);

impl SecondLogin {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value: String = raw.trim().nfkc().collect::<String>().to_lowercase();
        let len = value.chars().count();
        if !(3..=64).contains(&len) {
            return invalid("must be 3 to 64 characters long");
        }
        if !value.starts_with(|c: char| c.is_ascii_lowercase()) {
            return invalid("must start with a letter a-z");
        }
        if !value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        {
            return invalid("may contain only letters a-z, digits, '.', '_' and '-'");
        }
        Ok(SecondLogin(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number in E.164 (`+79991234567`), checked against real numbering
/// plans. Numbers without a country code are read in the default region.
/// It also knows whether it can take an SMS, and where (SPEC §6: codes go
/// only to mobile numbers of the countries SMS are sent to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    e164: String,
    /// The number's region when libphonenumber calls it mobile (or
    /// mobile-or-fixed, where a country's plan does not tell them apart).
    mobile_in: Option<rlibphonenumber::Region>,
}

/// The region numbers without a `+country` prefix belong to (`RU`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhoneRegion(rlibphonenumber::Region);

impl FromStr for PhoneRegion {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        rlibphonenumber::Region::from_str(&s.trim().to_uppercase())
            .map(PhoneRegion)
            .or_else(|_| invalid("must be an ISO 3166-1 alpha-2 region code such as RU"))
    }
}

impl Phone {
    /// Loads the phone metadata and compiles the patterns a number of the
    /// manifest's default region (RU) needs, in both spellings. Run once at
    /// build time, see `edge::preinit`; a number of another region compiles
    /// its own patterns when first parsed (well under a millisecond).
    pub fn warm_up() {
        let region = PhoneRegion(rlibphonenumber::Region::RU);
        for sample in ["+7 913 123-45-67", "8 913 123-45-67"] {
            let _ = Phone::parse(sample, region);
        }
    }

    pub fn parse(raw: &str, region: PhoneRegion) -> Result<Self, Invalid> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 32 {
            return invalid("must be a phone number");
        }
        let number = match rlibphonenumber::PhoneNumber::parse(raw, Some(region.0)) {
            Ok(n) => n,
            Err(_) => return invalid("must be a phone number"),
        };
        if !number.is_valid() {
            return invalid("is not a valid phone number");
        }
        let mobile = matches!(
            number.get_type(),
            rlibphonenumber::PhoneNumberType::Mobile
                | rlibphonenumber::PhoneNumberType::FixedLineOrMobile
        );
        Ok(Phone {
            e164: number
                .format_as(rlibphonenumber::PhoneNumberFormat::E164)
                .to_string(),
            mobile_in: if mobile {
                number.get_region_code()
            } else {
                None
            },
        })
    }

    pub fn as_str(&self) -> &str {
        &self.e164
    }

    /// Whether codes may be sent to it: a mobile number of one of
    /// `countries` (never a premium-rate, toll-free, fixed or shared-cost
    /// one, whose texts cost more or reach nobody).
    pub fn takes_codes_in(&self, countries: &[PhoneRegion]) -> bool {
        self.mobile_in
            .is_some_and(|region| countries.iter().any(|c| c.0 == region))
    }
}

impl std::fmt::Display for PhoneRegion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// An email address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value = raw.trim().to_lowercase();
        if value.len() > 254 {
            return invalid("must be at most 254 characters");
        }
        let options = email_address::Options::default()
            .without_display_text()
            .with_required_tld();
        // RFC 5322 allows quoted local parts, comments and more; a gateway
        // reading the address as a list of recipients must never see one
        // address turn into two (`"a@x.com,"@evil.com`), so none of that.
        if value.contains(['"', ',', ';', '<', '>', '(', ')', '\\', ' ', '\t']) {
            return invalid("must be a plain email address (no quotes, commas or spaces)");
        }
        match email_address::EmailAddress::parse_with_options(&value, options) {
            Ok(_) => Ok(Email(value)),
            Err(_) => invalid("must be an email address"),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 8–72 bytes of UTF-8. bcrypt reads at most 72 bytes, so a
/// longer one is refused rather than silently cut.
#[derive(Debug, Clone)]
pub struct Password(Secret<String>);

pub const PASSWORD_MIN_BYTES: usize = 8;
pub const PASSWORD_MAX_BYTES: usize = 72;

impl Password {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.len() < PASSWORD_MIN_BYTES {
            return invalid("must be at least 8 bytes long");
        }
        Self::parse_for_login(raw)
    }

    /// A password as typed at login: the length floor is not checked there (a
    /// short one is simply wrong), but more than bcrypt can read is refused.
    pub fn parse_for_login(raw: &str) -> Result<Self, Invalid> {
        if raw.is_empty() {
            return invalid("must not be empty");
        }
        if raw.len() > PASSWORD_MAX_BYTES {
            return invalid("must be at most 72 bytes long (UTF-8)");
        }
        // bcrypt implementations stop at a NUL byte: refuse it, never cut.
        if raw.contains('\0') {
            return invalid("must not contain NUL characters");
        }
        Ok(Password(Secret::new(raw.to_string())))
    }

    pub fn secret(&self) -> &Secret<String> {
        &self.0
    }

    /// Whether the password is just one of the user's own identifiers
    /// (stored forms: normalized login, E.164 phone, lower-cased email), in
    /// any spelling they would be accepted in: `8 (999) 123-45-67` repeats
    /// `+79991234567`, `ＩＶＡＮ` repeats `ivan`.
    pub fn repeats_identifier(&self, identifiers: &[&str], region: PhoneRegion) -> bool {
        let typed = self.0.expose();
        let mut spellings = vec![typed.trim().to_lowercase()];
        if let Ok(login) = SecondLogin::parse(typed) {
            spellings.push(login.0);
        }
        if let Ok(phone) = Phone::parse(typed, region) {
            spellings.push(phone.e164);
        }
        identifiers.iter().any(|id| {
            let id = id.to_lowercase();
            spellings
                .iter()
                .any(|s| *s == id || s.as_str() == id.trim_start_matches('+'))
        })
    }
}

/// What a person types into the login field: a second_login, a phone or an
/// email, told apart by shape and normalized like the stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginId {
    SecondLogin(SecondLogin),
    Phone(Phone),
    Email(Email),
}

impl LoginId {
    pub fn parse(raw: &str, region: PhoneRegion) -> Result<Self, Invalid> {
        let trimmed = raw.trim();
        if trimmed.contains('@') {
            Email::parse(trimmed).map(LoginId::Email)
        } else if trimmed.starts_with(|c: char| c == '+' || c == '(' || c.is_ascii_digit()) {
            Phone::parse(trimmed, region).map(LoginId::Phone)
        } else {
            SecondLogin::parse(trimmed).map(LoginId::SecondLogin)
        }
    }

    /// The contact type and value as stored in `accounts.contacts`.
    pub fn contact(&self) -> (&'static str, &str) {
        match self {
            LoginId::SecondLogin(v) => ("second_login", v.as_str()),
            LoginId::Phone(v) => ("phone", v.as_str()),
            LoginId::Email(v) => ("email", v.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_go_only_to_mobile_numbers_of_the_sms_countries() {
        let ru: PhoneRegion = "RU".parse().unwrap();
        let kz: PhoneRegion = "KZ".parse().unwrap();
        let mobile = Phone::parse("+7 912 345-67-89", ru).unwrap();
        assert!(mobile.takes_codes_in(&[ru]));
        assert!(
            !mobile.takes_codes_in(&[kz]),
            "a Russian mobile is not Kazakh"
        );
        // A Moscow landline and a premium-rate number: no SMS.
        let fixed = Phone::parse("+7 495 123-45-67", ru).unwrap();
        assert!(!fixed.takes_codes_in(&[ru]));
        let premium = Phone::parse("8 809 505-05-05", ru).unwrap();
        assert!(!premium.takes_codes_in(&[ru]));
        // Where a plan cannot tell mobile from fixed (the US), it may.
        let us: PhoneRegion = "US".parse().unwrap();
        let american = Phone::parse("+1 201 555 0123", ru).unwrap();
        assert!(american.takes_codes_in(&[us]));
        assert_eq!(ru.to_string(), "RU");
    }

    use super::*;

    fn ru() -> PhoneRegion {
        "RU".parse().unwrap()
    }

    #[test]
    fn second_login_is_normalized() {
        assert_eq!(
            SecondLogin::parse("  Ivan.Petrov ").unwrap().as_str(),
            "ivan.petrov"
        );
        // Fullwidth letters fold to ASCII under NFKC.
        assert_eq!(SecondLogin::parse("ＩＶＡＮ_1").unwrap().as_str(), "ivan_1");
    }

    #[test]
    fn second_login_rules() {
        assert!(SecondLogin::parse("ab").is_err());
        assert!(SecondLogin::parse(&"a".repeat(65)).is_err());
        assert!(SecondLogin::parse("1ivan").is_err());
        assert!(SecondLogin::parse("ivan petrov").is_err());
        assert!(SecondLogin::parse("иван").is_err());
        assert!(SecondLogin::parse(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn phone_becomes_e164_in_the_default_region() {
        assert_eq!(
            Phone::parse("8 (912) 345-67-89", ru()).unwrap().as_str(),
            "+79123456789"
        );
        assert_eq!(
            Phone::parse("+7 912 345 67 89", ru()).unwrap().as_str(),
            "+79123456789"
        );
        assert_eq!(
            Phone::parse("+44 20 7946 0958", ru()).unwrap().as_str(),
            "+442079460958"
        );
    }

    #[test]
    fn phone_rejects_non_numbers() {
        assert!(Phone::parse("12", ru()).is_err());
        assert!(Phone::parse("not a phone", ru()).is_err());
        assert!(Phone::parse("+7 000", ru()).is_err());
        assert!("XX1".parse::<PhoneRegion>().is_err());
    }

    #[test]
    fn email_is_trimmed_and_lowercased() {
        assert_eq!(
            Email::parse("  Ivan@Example.COM ").unwrap().as_str(),
            "ivan@example.com"
        );
        assert!(Email::parse("ivan").is_err());
        assert!(Email::parse("ivan@").is_err());
        assert!(Email::parse("Ivan <ivan@example.com>").is_err());
        assert!(Email::parse("ivan@localhost").is_err());
    }

    #[test]
    fn an_email_is_one_plain_address_never_a_list() {
        for raw in [
            "\"a@x.com,\"@evil.com",
            "a@x.com, b@y.com",
            "Ivan <ivan@example.com>",
            "ivan(comment)@example.com",
            "a b@example.com",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw}");
        }
        assert!(Email::parse("ivan.petrov+tag@mail.example.com").is_ok());
    }

    #[test]
    fn password_length_is_counted_in_bytes() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("long enough").is_ok());
        assert!(Password::parse(&"a".repeat(72)).is_ok());
        assert!(Password::parse(&"a".repeat(73)).is_err());
        // 37 two-byte letters are 74 bytes: refused, not truncated.
        assert!(Password::parse(&"я".repeat(37)).is_err());
    }

    #[test]
    fn password_may_not_repeat_an_identifier() {
        let p = Password::parse("Ivan.Petrov").unwrap();
        assert!(p.repeats_identifier(&["ivan.petrov"], ru()));
        let p = Password::parse("79123456789").unwrap();
        assert!(p.repeats_identifier(&["+79123456789"], ru()));
        let p = Password::parse("correct horse").unwrap();
        assert!(!p.repeats_identifier(&["ivan.petrov", "+79123456789"], ru()));
    }

    #[test]
    fn password_may_not_repeat_an_identifier_in_another_spelling() {
        for spelling in ["8 (999) 123-45-67", "+7 999 123 45 67", "8-999-123-4567"] {
            let p = Password::parse(spelling).unwrap();
            assert!(p.repeats_identifier(&["+79991234567"], ru()), "{spelling}");
        }
        let p = Password::parse("ＩＶＡＮ.ＰＥＴＲＯＶ").unwrap();
        assert!(p.repeats_identifier(&["ivan.petrov"], ru()));
        let p = Password::parse("8 (999) 123-45-68").unwrap();
        assert!(!p.repeats_identifier(&["+79991234567"], ru()));
    }

    #[test]
    fn a_password_with_nul_is_refused() {
        assert!(Password::parse("correct\0horse").is_err());
        assert!(Password::parse_for_login("a\0").is_err());
    }

    #[test]
    fn login_id_is_told_apart_by_shape() {
        assert_eq!(
            LoginId::parse("Ivan@Example.com", ru()).unwrap().contact(),
            ("email", "ivan@example.com")
        );
        assert_eq!(
            LoginId::parse("+7 912 345-67-89", ru()).unwrap().contact(),
            ("phone", "+79123456789")
        );
        assert_eq!(
            LoginId::parse("Ivan.Petrov", ru()).unwrap().contact(),
            ("second_login", "ivan.petrov")
        );
    }
}
