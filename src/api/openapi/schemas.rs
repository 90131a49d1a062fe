//! The shapes on the wire, for the OpenAPI document: request bodies as the
//! parsers in `core::flows` read them, and the answers the handlers and the
//! stored functions write. The end-to-end suite checks every answer it gets
//! against these (tests/e2e `Reply`), so they cannot drift from the service.
#![allow(dead_code)] // Described, never built: only their schemas are used.

use serde_json::Value;
use utoipa::ToSchema;

/// A role a person can hold.
#[derive(ToSchema)]
pub struct Role {
    #[schema(example = "driver")]
    pub name: String,
    pub description: String,
}

#[derive(ToSchema)]
pub struct Roles {
    pub roles: Vec<Role>,
}

#[derive(ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
}

/// Readiness: each check is `ok`, `unavailable`, or the variable at fault.
#[derive(ToSchema)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    #[schema(example = "ready")]
    pub status: String,
    #[schema(value_type = Object, example = json!({"configuration": "ok", "postgresql": "ok", "redis": "ok"}))]
    pub checks: Value,
}

#[derive(ToSchema)]
pub struct Availability {
    pub available: bool,
}

/// Who may sign in, and where: the app a registration comes through.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum Interface {
    CustomerApp,
    DriverApp,
    CourierApp,
    HeadConsole,
    StaffConsole,
}

/// `POST /auth/register`: a password, or a `phone_proof` from a `register`
/// code instead (a phone-only account).
#[derive(ToSchema)]
pub struct Registration {
    /// 3–64 characters after NFKC and lower-casing.
    #[schema(example = "ivan", min_length = 3)]
    pub second_login: String,
    /// Any spelling of a phone number; stored as E.164.
    #[schema(example = "+79123456789", min_length = 1)]
    pub phone: String,
    #[schema(example = "ivan@example.com")]
    pub email: Option<String>,
    /// 8–72 bytes (UTF-8). Give this or `phone_proof`.
    #[schema(example = "correct horse battery", format = Password, min_length = 8, max_length = 72)]
    pub password: Option<String>,
    /// From `POST /auth/otp/verify` with purpose `register`, for this phone.
    #[schema(pattern = "^[A-Za-z0-9_-]{43}$")]
    pub phone_proof: Option<String>,
    /// Any JSON object of at most 8 KiB.
    #[schema(value_type = Option<Object>)]
    pub profile: Option<Value>,
    #[schema(example = json!(["customer"]), min_items = 1)]
    pub group_names: Vec<String>,
    pub interface: Interface,
}

/// `POST /users` and `new_user` of `POST /organizations/{id}/members`.
#[derive(ToSchema)]
pub struct NewUser {
    #[schema(example = "petr", min_length = 3)]
    pub second_login: String,
    #[schema(example = "+79123450000", min_length = 1)]
    pub phone: String,
    pub email: Option<String>,
    #[schema(format = Password, min_length = 8, max_length = 72)]
    pub password: String,
    #[schema(value_type = Option<Object>)]
    pub profile: Option<Value>,
    #[schema(example = json!(["courier"]), min_items = 1)]
    pub group_names: Vec<String>,
    /// The organization a head's user joins (a head of several names one).
    #[schema(format = Uuid)]
    pub organization_id: Option<String>,
}

#[derive(ToSchema)]
pub struct Login {
    /// A second_login, a phone (any spelling) or an email.
    #[schema(example = "ivan", min_length = 1)]
    pub login: String,
    #[schema(example = "correct horse battery", format = Password, min_length = 1)]
    pub password: String,
}

/// A token pair. In cookie mode the tokens travel in cookies and the body
/// carries only `token_type` and `expires_in`.
#[derive(ToSchema)]
pub struct Tokens {
    /// A JWT (`typ` `at+jwt`) for `Authorization: Bearer`.
    pub access_token: Option<String>,
    /// Opaque; used once by `POST /auth/refresh`.
    pub refresh_token: Option<String>,
    #[schema(example = "bearer")]
    pub token_type: String,
    /// Seconds the access token lives.
    #[schema(example = 1800)]
    pub expires_in: u32,
}

/// A sign-in's first step: a token pair, or, for a user with a second
/// factor, no tokens but `mfa_required` and the `mfa_token` for `POST
/// /auth/login/mfa`.
#[derive(ToSchema)]
pub struct SignedIn {
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    #[schema(example = "bearer")]
    pub token_type: Option<String>,
    /// Seconds the access token (or the `mfa_token`) lives.
    pub expires_in: u32,
    pub mfa_required: Option<bool>,
    /// One use, a few minutes, for `POST /auth/login/mfa`.
    #[schema(pattern = "^[A-Za-z0-9_-]{43}$")]
    pub mfa_token: Option<String>,
    /// What the second step takes: `totp`, `recovery_code`.
    pub methods: Option<Vec<String>>,
}

/// The second step of a sign-in: the `mfa_token`, and a code from the
/// authenticator app or one of the recovery codes.
#[derive(ToSchema)]
pub struct SecondStep {
    #[schema(pattern = "^[A-Za-z0-9_-]{43}$")]
    pub mfa_token: String,
    #[schema(example = "123456", pattern = "^[0-9]{6}$")]
    pub code: Option<String>,
    #[schema(example = "k7m2p-x9w3q")]
    pub recovery_code: Option<String>,
}

/// A fresh proof of the account (a sensitive change, SPEC §2).
#[derive(ToSchema)]
pub struct AccountProof {
    #[schema(format = Password)]
    pub current_password: Option<String>,
    #[schema(pattern = "^[A-Za-z0-9_-]{43}$")]
    pub reauth_proof: Option<String>,
}

/// An enrolment begun: shown this once. Type the `secret` into an
/// authenticator app, or scan `qr_svg` (the `otpauth_uri` as a QR code).
#[derive(ToSchema)]
pub struct TotpEnrolment {
    /// Base32, no padding.
    #[schema(example = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")]
    pub secret: String,
    #[schema(
        example = "otpauth://totp/Logistics:ivan?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Logistics&algorithm=SHA1&digits=6&period=30"
    )]
    pub otpauth_uri: String,
    /// An SVG document.
    pub qr_svg: String,
}

#[derive(ToSchema)]
pub struct TotpCode {
    #[schema(example = "123456", pattern = "^[0-9]{6}$")]
    pub code: String,
}

/// The ten recovery codes, shown this once: each signs in once instead of
/// a code from the app.
#[derive(ToSchema)]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// Turning the second factor off: a fresh proof of the account, and a code
/// from the app or a recovery code.
#[derive(ToSchema)]
pub struct TotpRemoval {
    #[schema(format = Password)]
    pub current_password: Option<String>,
    #[schema(pattern = "^[A-Za-z0-9_-]{43}$")]
    pub reauth_proof: Option<String>,
    #[schema(example = "123456", pattern = "^[0-9]{6}$")]
    pub code: Option<String>,
    pub recovery_code: Option<String>,
}

/// The user a registration created.
#[derive(ToSchema)]
pub struct RegisteredUser {
    #[schema(format = Uuid)]
    pub id: String,
    pub second_login: String,
    pub phone: String,
    pub email: Option<String>,
    pub roles: Vec<String>,
    #[schema(value_type = Object)]
    pub profile: Value,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Present (true) when the email is held unverified by another
    /// account: it becomes this one's when the link sent to it is followed.
    pub email_pending: Option<bool>,
}

/// The token pair of a new account, and the account.
#[derive(ToSchema)]
pub struct Registered {
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub token_type: String,
    pub expires_in: u32,
    pub user: RegisteredUser,
}

#[derive(ToSchema)]
pub struct Refresh {
    /// Optional in cookie mode, where the refresh cookie carries it.
    #[schema(pattern = "^[A-Za-z0-9_-]{43}$")]
    pub refresh_token: Option<String>,
}

#[derive(ToSchema)]
pub struct Logout {
    /// End every session of the user, not only this one.
    pub all: Option<bool>,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum CodePurpose {
    Login,
    Register,
    /// Signed in only: proves a phone for this account.
    VerifyPhone,
    /// Signed in only: a code to this account's verified phone, for a
    /// sensitive change without the password.
    Reauth,
}

#[derive(ToSchema)]
pub struct CodeRequest {
    /// Required, except with `reauth` (the code goes to your verified
    /// phone; naming one is refused).
    #[schema(example = "+79123450003", min_length = 1)]
    pub phone: Option<String>,
    pub purpose: CodePurpose,
}

/// Sent (or not: the answer is the same whether or not the phone is known).
#[derive(ToSchema)]
pub struct CodeSent {
    /// Seconds the code lives.
    pub expires_in: u32,
    /// Seconds before another code may be asked for.
    pub resend_after: u32,
}

#[derive(ToSchema)]
pub struct CodeVerification {
    /// Required, except with `reauth`.
    #[schema(example = "+79123450003", min_length = 1)]
    pub phone: Option<String>,
    pub purpose: CodePurpose,
    /// The six digits of the SMS.
    #[schema(example = "123456", pattern = "^[0-9]{6}$")]
    pub code: String,
}

/// `login`: a token pair. `register`, `verify_phone`: a one-time proof of
/// the phone. `reauth`: a one-time proof of the account.
#[derive(ToSchema)]
pub struct CodeVerified {
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub token_type: Option<String>,
    pub expires_in: u32,
    /// One-time; `register` takes it instead of a password, `contacts` to add a phone.
    pub phone_proof: Option<String>,
    /// One-time, for `reauth_seconds`: a sensitive change (`contacts`,
    /// `password`) takes it instead of the current password.
    pub reauth_proof: Option<String>,
    /// `login` for a user with a second factor: no tokens, but these.
    pub mfa_required: Option<bool>,
    pub mfa_token: Option<String>,
    pub methods: Option<Vec<String>>,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ContactType {
    SecondLogin,
    Phone,
    Email,
}

#[derive(ToSchema)]
pub struct Contact {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(value_type = ContactType)]
    pub r#type: String,
    pub value: String,
    pub verified: bool,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
}

#[derive(ToSchema)]
pub struct NewContact {
    #[schema(value_type = ContactType)]
    pub r#type: String,
    #[schema(example = "ivan@work.example", min_length = 1)]
    pub value: String,
    /// A fresh proof of the account (a sensitive change): this or
    /// `reauth_proof`. Not needed only to verify your current phone.
    #[schema(format = Password)]
    pub current_password: Option<String>,
    /// From a `reauth` code: instead of `current_password`.
    #[schema(pattern = "^[A-Za-z0-9_-]{43}$")]
    pub reauth_proof: Option<String>,
    /// For a phone: from a `verify_phone` code for that phone, asked for
    /// while signed in as this user.
    #[schema(pattern = "^[A-Za-z0-9_-]{43}$")]
    pub phone_proof: Option<String>,
}

#[derive(ToSchema)]
pub struct ContactAdded {
    pub contact: Contact,
}

/// An email another account holds unverified: a link went to it, and
/// following it makes it yours (and ends it there).
#[derive(ToSchema)]
pub struct ContactPending {
    #[schema(example = "verification_sent")]
    pub status: String,
    pub email: String,
    pub verified: bool,
}

/// The token from a link (`…#token=…`).
#[derive(ToSchema)]
pub struct EmailToken {
    #[schema(pattern = "^[A-Za-z0-9_-]{43}$")]
    pub token: String,
}

#[derive(ToSchema)]
pub struct EmailVerified {
    pub email: String,
    pub verified: bool,
}

#[derive(ToSchema)]
pub struct VerificationRequest {
    /// An unverified email of yours (or one you claimed).
    #[schema(example = "ivan@example.com")]
    pub email: String,
}

#[derive(ToSchema)]
pub struct VerificationSent {
    /// Seconds the link lives.
    pub expires_in: u32,
}

#[derive(ToSchema)]
pub struct RecoveryRequest {
    /// A second_login, email or phone.
    #[schema(example = "ivan.petrov", min_length = 1)]
    pub login: String,
}

/// The same whatever the login: whether anything was sent is not told.
#[derive(ToSchema)]
pub struct RecoverySent {
    #[schema(example = "sent_if_known")]
    pub status: String,
    /// Seconds a code to the verified phone lives.
    pub code_expires_in: u32,
    /// Seconds a link to a verified email lives.
    pub link_expires_in: u32,
}

/// A link's `token`, or the `phone` and the `code` sent to it; and the
/// new password.
#[derive(ToSchema)]
pub struct RecoveryCompletion {
    #[schema(pattern = "^[A-Za-z0-9_-]{43}$")]
    pub token: Option<String>,
    #[schema(example = "+79123450003")]
    pub phone: Option<String>,
    #[schema(example = "123456", pattern = "^[0-9]{6}$")]
    pub code: Option<String>,
    /// 8–72 bytes, not your login, phone or email.
    #[schema(min_length = 8)]
    pub new_password: String,
}

/// A membership as `/auth/me` shows it.
#[derive(ToSchema)]
pub struct MyOrganization {
    #[schema(format = Uuid)]
    pub id: String,
    pub kind: String,
    pub name: String,
    pub is_head: bool,
    #[schema(format = DateTime)]
    pub since: String,
}

#[derive(ToSchema)]
pub struct Me {
    #[schema(format = Uuid)]
    pub id: String,
    pub second_login: String,
    /// The active contacts.
    pub contacts: Vec<Contact>,
    pub roles: Vec<String>,
    pub organizations: Vec<MyOrganization>,
    #[schema(value_type = Object)]
    pub profile: Value,
    #[schema(format = DateTime)]
    pub created_at: String,
}

#[derive(ToSchema)]
pub struct Session {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_used_at: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// The session of the token that asked.
    pub current: bool,
}

#[derive(ToSchema)]
pub struct Sessions {
    pub sessions: Vec<Session>,
}

#[derive(ToSchema)]
pub struct PasswordChange {
    /// A fresh proof of the account: this or `reauth_proof` (which an
    /// account without a password, setting its first, must give).
    #[schema(format = Password)]
    pub current_password: Option<String>,
    /// From a `reauth` code: instead of `current_password`.
    #[schema(pattern = "^[A-Za-z0-9_-]{43}$")]
    pub reauth_proof: Option<String>,
    #[schema(format = Password, min_length = 8, max_length = 72)]
    pub new_password: String,
}

#[derive(ToSchema)]
pub struct UserSummary {
    #[schema(format = Uuid)]
    pub id: String,
    pub second_login: String,
    /// The active phone; an unverified one receives no codes.
    pub phone: Option<UserPhone>,
    pub roles: Vec<String>,
    pub is_active: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
}

#[derive(ToSchema)]
pub struct UserPhone {
    #[schema(example = "+79123450003")]
    pub value: String,
    pub verified: bool,
}

#[derive(ToSchema)]
pub struct UserPage {
    pub users: Vec<UserSummary>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

#[derive(ToSchema)]
pub struct CreatedUser {
    #[schema(format = Uuid)]
    pub id: String,
    pub second_login: String,
    pub roles: Vec<String>,
    pub is_active: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The organization the user joined with its creation, if any.
    #[schema(format = Uuid)]
    pub organization_id: Option<String>,
}

#[derive(ToSchema)]
pub struct UserCreated {
    pub user: CreatedUser,
}

#[derive(ToSchema)]
pub struct RoleChange {
    #[schema(example = json!(["driver"]), value_type = Option<Vec<RoleName>>)]
    pub add: Option<Vec<String>>,
    #[schema(value_type = Option<Vec<RoleName>>)]
    pub remove: Option<Vec<String>>,
}

/// A role's name.
#[derive(ToSchema)]
#[schema(example = "driver", min_length = 1)]
pub struct RoleName(String);

#[derive(ToSchema)]
pub struct RolesNow {
    pub roles: Vec<String>,
}

#[derive(ToSchema)]
pub struct UserPatch {
    pub is_active: bool,
}

#[derive(ToSchema)]
pub struct ActiveNow {
    pub is_active: bool,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum OrganizationKind {
    Fleet,
    Firm,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ServiceType {
    OrderService,
    WaybillService,
    GroceryStore,
}

#[derive(ToSchema)]
pub struct OrganizationRequest {
    pub kind: OrganizationKind,
    /// A firm's (required for a firm; leave it out for a fleet).
    #[schema(nullable = false)]
    pub service_type: Option<ServiceType>,
    /// 1–200 characters.
    #[schema(example = "North Fleet", min_length = 1, max_length = 200)]
    pub name: String,
}

#[derive(ToSchema)]
pub struct OrganizationPatch {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub is_active: Option<bool>,
}

#[derive(ToSchema)]
pub struct Organization {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(value_type = OrganizationKind)]
    pub kind: String,
    #[schema(value_type = Option<ServiceType>)]
    pub service_type: Option<String>,
    pub name: String,
    pub is_active: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The user ids of its heads, longest-serving first.
    #[schema(value_type = Vec<uuid::Uuid>)]
    pub heads: Vec<String>,
}

#[derive(ToSchema)]
pub struct OneOrganization {
    pub organization: Organization,
}

#[derive(ToSchema)]
pub struct OrganizationPage {
    pub organizations: Vec<Organization>,
    pub next_cursor: Option<String>,
}

#[derive(ToSchema)]
pub struct Membership {
    #[schema(format = Uuid)]
    pub organization_id: String,
    #[schema(format = Uuid)]
    pub user_id: String,
    pub second_login: String,
    pub roles: Vec<String>,
    pub is_head: bool,
    #[schema(format = DateTime)]
    pub since: String,
    /// When it ended; null while it lasts.
    #[schema(format = DateTime)]
    pub until: Option<String>,
}

#[derive(ToSchema)]
pub struct OneMembership {
    pub membership: Membership,
}

#[derive(ToSchema)]
pub struct MemberPage {
    pub members: Vec<Membership>,
    pub next_cursor: Option<String>,
}

/// Exactly one of: `user_id`, one contact (`second_login`, `phone`,
/// `email`, any spelling), or `new_user`.
#[derive(ToSchema)]
pub struct MemberRequest {
    #[schema(format = Uuid)]
    pub user_id: Option<String>,
    pub second_login: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub new_user: Option<NewUser>,
}

/// `{membership}` for an existing user, `{user}` for a new one.
#[derive(ToSchema)]
pub struct MemberAdded {
    pub membership: Option<Membership>,
    pub user: Option<CreatedUser>,
}

/// What a head's add of an existing user always answers: an invitation
/// was made if the person may be invited, and nothing tells whether.
#[derive(ToSchema)]
pub struct MaybeInvited {
    pub status: MaybeInvitedStatus,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum MaybeInvitedStatus {
    InvitedIfEligible,
}

/// The organization an invitation is into.
#[derive(ToSchema)]
pub struct InvitingOrganization {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    #[schema(value_type = OrganizationKind)]
    pub kind: String,
}

/// An invitation into an organization, made by one of its heads.
#[derive(ToSchema)]
pub struct Invitation {
    #[schema(format = Uuid)]
    pub id: String,
    pub organization: InvitingOrganization,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
}

/// The signed-in user's pending, unexpired invitations, newest first.
#[derive(ToSchema)]
pub struct Invitations {
    pub invitations: Vec<Invitation>,
}

#[derive(ToSchema)]
pub struct HeadRequest {
    #[schema(format = Uuid)]
    pub user_id: String,
}

/// The public keys that verify access tokens (RFC 7517); empty with HS256.
#[derive(ToSchema)]
pub struct Jwks {
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<Value>,
}

/// One invalid field.
#[derive(ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// RFC 9457 problem details: every error answer.
#[derive(ToSchema)]
pub struct Problem {
    /// A URN naming the kind of problem, or `about:blank`.
    #[schema(example = "urn:auth:problem:validation")]
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The invalid fields (422), or the taken one (409).
    pub errors: Option<Vec<FieldError>>,
}
