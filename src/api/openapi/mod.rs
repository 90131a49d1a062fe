//! The OpenAPI 3.1 document, built natively from the wire types in
//! `schemas` (`cargo test --features openapi`) and kept as
//! `docs/openapi.json`, which the component serves as it is. Tests below
//! fail when the file drifts from what this builds, or when the route table
//! and the document disagree on a path or a method.

mod schemas;

use schemas::*;
use serde_json::json;
use utoipa::openapi::link::Link;
use utoipa::openapi::path::{HttpMethod, Operation, Parameter, ParameterIn};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::response::Response;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    Components, Content, Header, Info, OpenApi, Paths, Ref, RefOr, Required, Schema, Server, Tag,
};
use utoipa::{PartialSchema, ToSchema};

/// Who may call an operation.
#[derive(Clone, Copy, PartialEq)]
enum Auth {
    Anyone,
    /// Anonymous, or with an access token (it changes the answer).
    Optional,
    AccessToken,
}

/// One operation: its place, its body, its successes and its failures.
struct Op {
    method: HttpMethod,
    path: &'static str,
    id: &'static str,
    tag: &'static str,
    summary: &'static str,
    description: &'static str,
    auth: Auth,
    query: Vec<Parameter>,
    body: Option<&'static str>,
    /// (status, description, schema name or none).
    answers: Vec<(u16, &'static str, Option<&'static str>)>,
    /// Failure statuses, each an RFC 9457 problem.
    problems: Vec<u16>,
    links: Vec<(u16, &'static str, Link)>,
}

impl Op {
    fn new(method: HttpMethod, path: &'static str, id: &'static str, tag: &'static str) -> Op {
        Op {
            method,
            path,
            id,
            tag,
            summary: "",
            description: "",
            auth: Auth::Anyone,
            query: vec![],
            body: None,
            answers: vec![],
            problems: vec![],
            links: vec![],
        }
    }
    fn summary(mut self, summary: &'static str, description: &'static str) -> Op {
        self.summary = summary;
        self.description = description;
        self
    }
    fn auth(mut self, auth: Auth) -> Op {
        self.auth = auth;
        self
    }
    fn query(mut self, name: &str, description: &str, schema: RefOr<Schema>) -> Op {
        self.query.push(
            Parameter::builder()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(description))
                .schema(Some(schema))
                .build(),
        );
        self
    }
    fn body(mut self, schema: &'static str) -> Op {
        self.body = Some(schema);
        self
    }
    fn answers(
        mut self,
        status: u16,
        description: &'static str,
        schema: Option<&'static str>,
    ) -> Op {
        self.answers.push((status, description, schema));
        self
    }
    fn problems(mut self, statuses: &[u16]) -> Op {
        self.problems.extend_from_slice(statuses);
        self
    }
    fn link(mut self, status: u16, name: &'static str, link: Link) -> Op {
        self.links.push((status, name, link));
        self
    }

    fn operation(&self) -> Operation {
        let mut problems = self.problems.clone();
        if self.body.is_some() {
            // Every body is read the same way.
            problems.extend([400, 413, 415, 422]);
        }
        if self.auth != Auth::Anyone {
            problems.push(401);
        }
        if problems.contains(&503) {
            // What broke on our side and is no outage: an answer the
            // database should never give, say.
            problems.push(500);
        }
        problems.sort_unstable();
        problems.dedup();
        let mut op = Operation::builder()
            .operation_id(Some(self.id))
            .tag(self.tag)
            .summary(Some(self.summary))
            .description((!self.description.is_empty()).then_some(self.description))
            .parameters(Some(self.query.clone()));
        for (i, name) in path_parameters(self.path).into_iter().enumerate() {
            op = op.parameter(
                Parameter::builder()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .description(Some(if i == 0 && self.path.starts_with("/organizations") {
                        "The organization's id."
                    } else if name == "user_id" || self.path.starts_with("/users") {
                        "The user's id."
                    } else if name == "asset" {
                        "The file's name."
                    } else {
                        "Its id."
                    }))
                    .schema(Some(String::schema())),
            );
        }
        if let Some(body) = self.body {
            op = op.request_body(Some(
                RequestBody::builder()
                    .required(Some(if self.id == "refresh" || self.id == "logout" {
                        Required::False
                    } else {
                        Required::True
                    }))
                    .content(
                        "application/json",
                        Content::new(Some(Ref::from_schema_name(body))),
                    )
                    .build(),
            ));
        }
        for (status, description, schema) in &self.answers {
            let mut response = Response::builder().description(*description);
            if let Some(schema) = schema {
                response = response.content(
                    "application/json",
                    Content::new(Some(Ref::from_schema_name(*schema))),
                );
            }
            for (at, name, link) in &self.links {
                if at == status {
                    response = response.link(*name, link.clone());
                }
            }
            op = op.response(status.to_string(), response.build());
        }
        for status in problems {
            op = op.response(
                status.to_string(),
                Ref::from_response_name(problem_name(status)),
            );
        }
        match self.auth {
            Auth::Anyone => {}
            Auth::Optional => {
                op = op
                    .security(SecurityRequirement::default())
                    .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                    .security(SecurityRequirement::new("cookie", Vec::<String>::new()))
            }
            Auth::AccessToken => {
                op = op
                    .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                    .security(SecurityRequirement::new("cookie", Vec::<String>::new()))
            }
        }
        op.build()
    }
}

/// `{id}`, `{user_id}`… in a template, in order.
fn path_parameters(template: &str) -> Vec<&str> {
    template
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

/// The shared response of each failure status.
fn problem_name(status: u16) -> &'static str {
    match status {
        400 => "MalformedJson",
        401 => "Unauthenticated",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        413 => "ContentTooLarge",
        415 => "UnsupportedMediaType",
        500 => "Internal",
        422 => "Invalid",
        429 => "TooManyRequests",
        503 => "Unavailable",
        other => panic!("no shared response for {other}"),
    }
}

fn problem_response(status: u16) -> Response {
    let description = match status {
        400 => "The body is not valid JSON.",
        401 => "Unknown login or wrong password; a wrong, used or expired code; a missing, invalid or ended access token; any bad refresh token — one answer for each kind.",
        403 => "Signed in, but not allowed: a role the caller cannot grant, a user beyond its grants, a staff-only act, a cookie-authenticated change without the CSRF header, a sensitive change without a fresh proof of the account (`urn:auth:problem:reauth-required`).",
        404 => "Nothing here, or nothing the caller may see (no existence oracle).",
        409 => "Already taken (`errors[0].field` names it), the last login or phone of an account, an inactive organization, or an invitation that cannot be accepted now.",
        413 => "The body is over 16 KiB.",
        415 => "The body is not `application/json`.",
        422 => "Missing or invalid fields, all listed in `errors`.",
        429 => "Locked out or rate-limited; try again after `Retry-After` seconds.",
        500 => "Something broke on our side (logged); nothing was half-written.",
        503 => "PostgreSQL, Redis or the SMS gateway is unavailable, or the configuration is broken.",
        _ => unreachable!(),
    };
    let mut response = Response::builder().description(description).content(
        "application/problem+json",
        Content::new(Some(Ref::from_schema_name("Problem"))),
    );
    if status == 401 {
        response = response.header(
            "WWW-Authenticate",
            Header::builder()
                .schema(Some(String::schema()))
                .description(Some(r#"`Bearer realm="auth-service"`, with `error="invalid_token"` when an access token was presented."#))
                .build(),
        );
    }
    if status == 429 {
        response = response.header(
            "Retry-After",
            Header::builder()
                .schema(Some(u32::schema()))
                .description(Some("Seconds to wait."))
                .build(),
        );
    }
    if status == 503 {
        response = response.header(
            "Retry-After",
            Header::builder()
                .schema(Some(u32::schema()))
                .description(Some(
                    "Seconds to wait before trying again (when PostgreSQL was unavailable).",
                ))
                .build(),
        );
    }
    response.build()
}

fn page_query(op: Op) -> Op {
    op.query(
        "limit",
        "Page size, 1–100 (default 50).",
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .minimum(Some(1))
            .maximum(Some(100))
            .into(),
    )
    .query(
        "cursor",
        "`next_cursor` of the page before.",
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(1))
            .into(),
    )
}

/// A link whose request body takes values from this response or request.
fn link_body(operation: &str, description: &str, body: serde_json::Value) -> Link {
    Link::builder()
        .operation_id(operation)
        .description(description)
        .request_body(Some(body))
        .build()
}

fn link_params(operation: &str, description: &str, params: &[(&str, &str)]) -> Link {
    let mut link = Link::builder()
        .operation_id(operation)
        .description(description);
    for (name, value) in params {
        link = link.parameter(*name, *value);
    }
    link.build()
}

fn operations() -> Vec<Op> {
    use Auth::*;
    use HttpMethod::{Delete, Get, Patch, Post};
    let text = String::schema;
    vec![
        // Probes
        Op::new(Get, "/auth/health", "health", "probes")
            .summary("Liveness", "Nothing else is checked.")
            .answers(200, "Alive.", Some("Health")),
        Op::new(Get, "/auth/ready", "ready", "probes")
            .summary("Readiness", "The configuration, PostgreSQL and Redis; 503 names what failed (never an address or a secret).")
            .answers(200, "Ready.", Some("Readiness"))
            .answers(503, "Not ready: `status` is `unavailable`, the failing check says why.", Some("Readiness")),
        Op::new(Get, "/auth/availability", "availability", "probes")
            .summary("Is a login, phone or email free", "Give exactly one of the three, in any spelling: it is normalized as at sign-up. Rate-limited per client IP.")
            .query("second_login", "A login to check.", text())
            .query("phone", "A phone to check.", text())
            .query("email", "An email to check.", text())
            .answers(200, "Whether it is free.", Some("Availability"))
            .problems(&[422, 429, 503]),
        Op::new(Get, "/auth/roles", "roles", "roles")
            .summary("Roles", "Anonymous with `interface`: the roles that app lets people self-register into. With an access token: the roles the caller may grant now.")
            .auth(Optional)
            .query("interface", "The app, for anonymous callers: customer_app, driver_app, courier_app, head_console or staff_console (see `Interface`).", text())
            .answers(200, "The roles.", Some("Roles"))
            .problems(&[422, 503]),
        // Sign-up and sign-in
        Op::new(Post, "/auth/register", "register", "sign-in")
            .summary("Register", "One transaction creates the user, contacts, roles, session, refresh token and the `user.registered` event. With `phone_proof` instead of `password`: a phone-only account whose phone is verified. A taken login, phone or email is 409 naming the field.")
            .body("Registration")
            .answers(201, "Registered and signed in.", Some("Registered"))
            .problems(&[403, 409, 429, 503])
            .link(201, "login", link_body("login", "Sign in with the login and password just registered.", json!({"login": "$request.body#/second_login", "password": "$request.body#/password"})))
            .link(201, "refresh", link_body("refresh", "Swap the refresh token for a new pair.", json!({"refresh_token": "$response.body#/refresh_token"}))),
        Op::new(Post, "/auth/login", "login", "sign-in")
            .summary("Log in", "With a second_login, phone (any spelling) or email and the password. An unknown login and a wrong password answer alike. For a user with a second factor, no tokens: `{mfa_required: true, mfa_token, methods}` for `POST /auth/login/mfa`.")
            .body("Login")
            .answers(200, "A token pair in a new session, or the second factor's challenge.", Some("SignedIn"))
            .problems(&[401, 429, 503])
            .link(200, "refresh", link_body("refresh", "Swap the refresh token for a new pair.", json!({"refresh_token": "$response.body#/refresh_token"})))
            .link(200, "logout", link_body("logout", "End this session (with its access token).", json!({"all": false}))),
        Op::new(Post, "/auth/login/mfa", "login_second_factor", "sign-in")
            .summary("Sign in: the second factor", "The `mfa_token` of the first step and a code from the authenticator app (each 30-second step is accepted once per user; one step of drift either way) or a recovery code (each once). Opens the session; its tokens' `amr` say `otp` and `mfa`. Tries are counted before the check and lock as logins do (429), on counters of their own, and at most 20 wrong an hour and 50 a day per user; a token dies after `otp_max_attempts` tries, or when the password or the second factor changes (401 `urn:auth:problem:second-step-expired`: sign in again). In cookie mode the pair comes as cookies.")
            .body("SecondStep")
            .answers(200, "A token pair in a new session.", Some("Tokens"))
            .problems(&[401, 429, 503]),
        Op::new(Post, "/auth/otp/request", "request_code", "sign-in")
            .summary("Ask for a code by SMS", "The same answer (status, body, headers, time) whether or not an SMS went out: `login` sends only to a verified phone someone signs in with, `register` only to a phone nobody holds verified, `verify_phone` (signed in) to a phone nobody else holds verified, `reauth` (signed in, no `phone`) to your own verified phone. 401 for `verify_phone` or `reauth` without a valid access token; 429 inside the resend delay or past the hourly caps; 503 when the gateway fails.")
            .auth(Optional)
            .body("CodeRequest")
            .answers(202, "Sent, if the phone qualifies.", Some("CodeSent"))
            .problems(&[401, 429, 503]),
        Op::new(Post, "/auth/otp/verify", "verify_code", "sign-in")
            .summary("Use a code", "`login`: a token pair in a new session. `register`, `verify_phone` (signed in as the user who asked): a one-time `phone_proof`. `reauth` (signed in, no `phone`): a one-time `reauth_proof`. A wrong, used or expired code, or another user's, is 401, one answer for all.")
            .auth(Optional)
            .body("CodeVerification")
            .answers(200, "A token pair, or a proof.", Some("CodeVerified"))
            .problems(&[401, 429, 503]),
        Op::new(Post, "/auth/refresh", "refresh", "sign-in")
            .summary("Rotate the refresh token", "The presented token is consumed and a new pair returned for the same session. Presenting a consumed one again ends the session. In cookie mode the refresh cookie may carry it instead of the body.")
            .body("Refresh")
            .answers(200, "A new pair.", Some("Tokens"))
            .problems(&[401, 403, 503])
            .link(200, "refresh", link_body("refresh", "Rotate again.", json!({"refresh_token": "$response.body#/refresh_token"})))
            .link(200, "logout", link_body("logout", "End the session (with the new access token).", json!({"all": false}))),
        Op::new(Post, "/auth/logout", "logout", "sign-in")
            .summary("Log out", "Ends this session (or, with `all`, every session of the user) and blacklists the access token until it expires.")
            .auth(AccessToken)
            .body("Logout")
            .answers(204, "Signed out.", None)
            .problems(&[403, 503]),
        // The account
        Op::new(Get, "/auth/me", "me", "account")
            .summary("Who am I", "The account, its active contacts, roles and organizations.")
            .auth(AccessToken)
            .answers(200, "The account.", Some("Me"))
            .problems(&[503]),
        Op::new(Post, "/auth/password", "change_password", "account")
            .summary("Change the password", "A sensitive change: `current_password`, or a `reauth_proof` (how a phone-only account sets its first password); without either, 403 `urn:auth:problem:reauth-required`. Ends the user's other sessions.")
            .auth(AccessToken)
            .body("PasswordChange")
            .answers(204, "Changed.", None)
            .problems(&[403, 429, 503]),
        Op::new(Post, "/auth/mfa/totp", "enrol_totp", "second-factor")
            .summary("Enrol a TOTP app", "A sensitive change: `current_password` or a `reauth_proof` (else 403). The secret, its `otpauth://` URI and a QR code (SVG), shown this once; nothing is on until `POST /auth/mfa/totp/confirm`. 409 if a second factor is on already.")
            .auth(AccessToken)
            .body("AccountProof")
            .answers(201, "The enrolment, to confirm.", Some("TotpEnrolment"))
            .problems(&[403, 409, 429, 503]),
        Op::new(Delete, "/auth/mfa/totp", "remove_totp", "second-factor")
            .summary("Turn the second factor off", "A fresh proof of the account and a current code (or a recovery code). Ends your other sessions.")
            .auth(AccessToken)
            .body("TotpRemoval")
            .answers(204, "Off.", None)
            .problems(&[401, 403, 409, 429, 503]),
        Op::new(Post, "/auth/mfa/totp/confirm", "confirm_totp", "second-factor")
            .summary("Turn the second factor on", "A code from the app proves it holds the secret. Answers the ten recovery codes, shown this once (only their keyed digests are kept). Ends your other sessions; sign in again with both factors to use staff endpoints.")
            .auth(AccessToken)
            .body("TotpCode")
            .answers(200, "On: the recovery codes.", Some("RecoveryCodes"))
            .problems(&[401, 409, 429, 503]),
        Op::new(Post, "/auth/email/verify", "verify_email", "account")
            .summary("Verify an email", "The `token` from the link (`{email_link_base}/verify-email#token=…`): one use, 24 h. An email of the link's account becomes verified, whoever opens it. A link that claims an address another account holds unverified works only signed in to the account that asked (else 403 `urn:auth:problem:claim-needs-its-account`, nothing changed): the address moves to it, and its other sessions end. Opened signed in to another account than the link's: 403 `urn:auth:problem:link-of-another-account`, nothing changed. 400 `urn:auth:problem:invalid-link` for a used, expired or other link; 409 if someone verified it first.")
            .auth(Optional)
            .body("EmailToken")
            .answers(200, "Verified.", Some("EmailVerified"))
            .problems(&[403, 409, 429, 503]),
        Op::new(Post, "/auth/email/verification", "request_email_verification", "account")
            .summary("Ask for a new verification link", "For one of your unverified emails (or one you claimed). 422 if it is verified already or not yours; 429 inside the resend delay or past the hourly cap per address; 503 when the email gateway fails (nothing counts as sent).")
            .auth(AccessToken)
            .body("VerificationRequest")
            .answers(202, "Sent.", Some("VerificationSent"))
            .problems(&[429, 503]),
        Op::new(Post, "/auth/recovery", "request_recovery", "recovery")
            .summary("Forgot the password", "A `recover` code to the account's verified phone and a link (`{email_link_base}/reset-password#token=…`, 30 min) to each verified email; nothing to unverified ones. The same status, body and time for any login, known or not. 429 past the hourly caps per login or per client IP.")
            .body("RecoveryRequest")
            .answers(202, "Sent, if the login belongs to an account with verified contacts.", Some("RecoverySent"))
            .problems(&[429, 503]),
        Op::new(Post, "/auth/recovery/complete", "complete_recovery", "recovery")
            .summary("Set a new password", "With a link's `token`, or the `phone` and the `code` sent to it. Sets the password (every rule of a new password), ends every session of the user, clears the lockout of each of their logins, and tells their other verified channels. A code or link works once; wrong codes lock as login codes do (401, then 429). 400 `urn:auth:problem:invalid-link` for a used or expired link.")
            .body("RecoveryCompletion")
            .answers(204, "The password is set; sign in with it.", None)
            .problems(&[401, 429, 503]),
        Op::new(Get, "/auth/sessions", "sessions", "account")
            .summary("My sessions", "The active ones, `current` marking the one asking.")
            .auth(AccessToken)
            .answers(200, "The sessions.", Some("Sessions"))
            .problems(&[503]),
        Op::new(Delete, "/auth/sessions/{id}", "revoke_session", "account")
            .summary("End one of my sessions", "404 if it is not one of yours.")
            .auth(AccessToken)
            .answers(204, "Ended.", None)
            .problems(&[403, 404, 503]),
        Op::new(Get, "/auth/invitations", "invitations", "account")
            .summary("My invitations", "Pending, unexpired invitations into active organizations, made by their heads (`POST /organizations/{id}/members`), newest first. Accept one to join; they expire after 7 days.")
            .auth(AccessToken)
            .answers(200, "The invitations.", Some("Invitations"))
            .problems(&[503]),
        Op::new(Post, "/auth/invitations/{id}/accept", "accept_invitation", "account")
            .summary("Accept an invitation", "You join the organization now (`membership.started`); your next sign-in or refresh names it in `orgs`. Checked again now: 409 while the organization is inactive, while you are a member of another organization, or when your roles no longer fit it (the invitation stays open). 404 for an invitation that is unknown, answered, expired or not yours.")
            .auth(AccessToken)
            .answers(200, "The membership.", Some("OneMembership"))
            .problems(&[403, 404, 409, 503]),
        Op::new(Post, "/auth/invitations/{id}/decline", "decline_invitation", "account")
            .summary("Decline an invitation", "Kept as history; its head may invite you again. 404 for an invitation that is unknown, answered, expired or not yours.")
            .auth(AccessToken)
            .answers(204, "Declined.", None)
            .problems(&[403, 404, 503]),
        Op::new(Post, "/auth/contacts", "add_contact", "account")
            .summary("Add a contact", "A sensitive change: `current_password` or a `reauth_proof` (else 403 `urn:auth:problem:reauth-required`), and for a phone also a `verify_phone` proof (verifying your current phone needs only that). A new login or phone replaces the active one (kept as history; a replaced verified phone is told by SMS); emails accumulate. Ends your other sessions.")
            .auth(AccessToken)
            .body("NewContact")
            .answers(201, "Added.", Some("ContactAdded"))
            .answers(202, "An email another account holds unverified: a link went to it, and following it makes it yours.", Some("ContactPending"))
            .problems(&[403, 409, 429, 503])
            .link(201, "remove", link_params("remove_contact", "Remove it again (an email).", &[("id", "$response.body#/contact/id")])),
        Op::new(Delete, "/auth/contacts/{id}", "remove_contact", "account")
            .summary("Remove a contact", "An email; it is kept as history. 409 for your only login or phone (replace it instead), 404 if it is not yours.")
            .auth(AccessToken)
            .answers(204, "Removed.", None)
            .problems(&[403, 404, 409, 503]),
        Op::new(Get, "/auth/.well-known/jwks.json", "jwks", "account")
            .summary("Signing keys", "The public keys that verify access tokens (RFC 7517): empty with HS256.")
            .answers(200, "The key set.", Some("Jwks"))
            .problems(&[503]),
        // Users
        page_query(Op::new(Get, "/users", "list_users", "users"))
            .summary("List users", "Staff see everyone; a head sees the current members of the organizations it heads. Keyset pages in creation order; filters normalized like login.")
            .auth(AccessToken)
            .query("role", "Only holders of this role.", text())
            .query("organization_id", "Only current members of this organization.", text())
            .query("second_login", "Only this login.", text())
            .query("phone", "Only this phone.", text())
            .query("email", "Only this email.", text())
            .answers(200, "A page.", Some("UserPage"))
            .problems(&[403, 422, 503]),
        Op::new(Post, "/users", "create_user", "users")
            .summary("Create a user", "With roles the caller may grant now; no tokens. A head's user joins the organization it heads in the same transaction.")
            .auth(AccessToken)
            .body("NewUser")
            .answers(201, "Created.", Some("UserCreated"))
            .problems(&[403, 409, 429, 503])
            .link(201, "roles", link_params("change_roles", "Change the new user's roles.", &[("id", "$response.body#/user/id")]))
            .link(201, "deactivate", link_params("set_user_active", "(De)activate the new user.", &[("id", "$response.body#/user/id")])),
        Op::new(Patch, "/users/{id}", "set_user_active", "users")
            .summary("(De)activate a user", "Staff. Deactivating ends all the user's sessions at once. A head gets 403 for its own members, 404 for anyone else.")
            .auth(AccessToken)
            .body("UserPatch")
            .answers(200, "Done.", Some("ActiveNow"))
            .problems(&[403, 404, 503]),
        Op::new(Post, "/users/{id}/roles", "change_roles", "users")
            .summary("Change a user's roles", "Within the caller's grants. 422 for removing your own last staff role or a user's last role.")
            .auth(AccessToken)
            .body("RoleChange")
            .answers(200, "The roles now.", Some("RolesNow"))
            .problems(&[403, 404, 503]),
        // Organizations
        Op::new(Post, "/organizations", "create_organization", "organizations")
            .summary("Create an organization", "Superadmin, manager: a fleet, or a firm of a service type.")
            .auth(AccessToken)
            .body("OrganizationRequest")
            .answers(201, "Created.", Some("OneOrganization"))
            .problems(&[403, 503])
            .link(201, "get", link_params("organization", "Read it.", &[("id", "$response.body#/organization/id")]))
            .link(201, "patch", link_params("update_organization", "Rename or (de)activate it.", &[("id", "$response.body#/organization/id")]))
            .link(201, "members", link_params("members", "Its members.", &[("id", "$response.body#/organization/id")]))
            .link(201, "add_member", link_params("add_member", "Add a member.", &[("id", "$response.body#/organization/id")]))
            .link(201, "appoint_head", link_params("appoint_head", "Appoint a head.", &[("id", "$response.body#/organization/id")])),
        page_query(Op::new(Get, "/organizations", "list_organizations", "organizations"))
            .summary("List organizations", "Staff: all; a head: the ones it heads now; anyone else 403.")
            .auth(AccessToken)
            .answers(200, "A page.", Some("OrganizationPage"))
            .problems(&[403, 422, 503]),
        Op::new(Get, "/organizations/{id}", "organization", "organizations")
            .summary("One organization", "Staff and its heads; 404 for anyone else.")
            .auth(AccessToken)
            .answers(200, "It.", Some("OneOrganization"))
            .problems(&[404, 503]),
        Op::new(Patch, "/organizations/{id}", "update_organization", "organizations")
            .summary("Rename or (de)activate", "Superadmin, manager. Deactivating ends every session whose tokens name it; memberships stay.")
            .auth(AccessToken)
            .body("OrganizationPatch")
            .answers(200, "It now.", Some("OneOrganization"))
            .problems(&[403, 404, 503]),
        page_query(Op::new(Get, "/organizations/{id}/members", "members", "organizations"))
            .summary("Members", "Staff and its heads.")
            .auth(AccessToken)
            .answers(200, "A page.", Some("MemberPage"))
            .problems(&[404, 422, 503]),
        Op::new(Post, "/organizations/{id}/members", "add_member", "organizations")
            .summary("Add a member", "Staff (superadmin, manager): an existing user by id or one contact joins at once, or a new user is created there. A head: a new user is created there and joins at once; an existing one is invited instead (they accept at `POST /auth/invitations/{id}/accept`), if they may be: active, of no organization, holding a role the head grants there, not already invited. The head's answer is 202 whether or not an invitation was made, so it tells no accounts apart. 409 while the organization is inactive.")
            .auth(AccessToken)
            .body("MemberRequest")
            .answers(200, "Already a member (staff).", Some("MemberAdded"))
            .answers(201, "Joined (`membership`, staff), or created and joined (`user`).", Some("MemberAdded"))
            .answers(202, "A head's add of an existing user: invited if eligible, one answer whatever the case.", Some("MaybeInvited"))
            .problems(&[403, 404, 409, 429, 503]),
        Op::new(Delete, "/organizations/{id}/members/{user_id}", "remove_member", "organizations")
            .summary("End a membership", "Kept as history; the member's sessions whose tokens name the organization end. A head does not remove a fellow head (403).")
            .auth(AccessToken)
            .answers(204, "Ended.", None)
            .problems(&[403, 404, 503]),
        Op::new(Post, "/organizations/{id}/heads", "appoint_head", "organizations")
            .summary("Appoint a head", "Superadmin, manager: the user joins if not yet a member, is marked head and gets the role that heads the kind.")
            .auth(AccessToken)
            .body("HeadRequest")
            .answers(200, "The membership.", Some("OneMembership"))
            .problems(&[403, 404, 409, 503])
            .link(200, "dismiss", link_params("dismiss_head", "Dismiss the head again.", &[("id", "$response.body#/membership/organization_id"), ("user_id", "$response.body#/membership/user_id")])),
        Op::new(Delete, "/organizations/{id}/heads/{user_id}", "dismiss_head", "organizations")
            .summary("Dismiss a head", "Superadmin, manager: still a member; the role that heads the kind goes too unless they head another organization of that kind (the next sign-in or refresh shows it).")
            .auth(AccessToken)
            .answers(200, "The membership.", Some("OneMembership"))
            .problems(&[403, 404, 503]),
        // This document
        Op::new(Get, "/openapi.json", "openapi", "documentation")
            .summary("This document", "OpenAPI 3.1.")
            .answers(200, "The document.", None),
        Op::new(Get, "/docs", "docs", "documentation")
            .summary("The API reference", "An HTML page rendered from this document, with nothing fetched from elsewhere.")
            .answers(200, "The page.", None),
        Op::new(Get, "/docs/{asset}", "docs_asset", "documentation")
            .summary("The reference page's files", "`swagger-ui-bundle.js` and `swagger-ui.css` (Swagger UI, vendored); anything else is 404.")
            .answers(200, "The file.", None)
            .problems(&[404]),
    ]
}

/// The document.
pub fn document() -> OpenApi {
    let mut paths = Paths::new();
    for op in operations() {
        paths.add_path_operation(op.path, vec![op.method.clone()], op.operation());
    }
    let mut components = Components::builder()
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("The access token of a token pair."))
                    .build(),
            ),
        )
        .security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "access_token",
                "Cookie mode (browsers): the access token's cookie. Changes also need the `X-CSRF-Token` header equal to the `csrf_token` cookie.",
            ))),
        );
    for status in [400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503] {
        components = components.response(problem_name(status), problem_response(status));
    }
    macro_rules! schemas {
        ($($t:ty),* $(,)?) => { $( components = components.schema(<$t>::name(), <$t>::schema()); )* };
    }
    schemas!(
        Role,
        Roles,
        Health,
        Readiness,
        Availability,
        Interface,
        Registration,
        NewUser,
        Login,
        Tokens,
        RegisteredUser,
        Registered,
        Refresh,
        Logout,
        CodePurpose,
        CodeRequest,
        CodeSent,
        CodeVerification,
        CodeVerified,
        ContactType,
        Contact,
        NewContact,
        ContactAdded,
        MyOrganization,
        Me,
        Session,
        Sessions,
        PasswordChange,
        ContactPending,
        EmailToken,
        EmailVerified,
        VerificationRequest,
        VerificationSent,
        RecoveryRequest,
        RecoverySent,
        RecoveryCompletion,
        SignedIn,
        SecondStep,
        AccountProof,
        TotpEnrolment,
        TotpCode,
        RecoveryCodes,
        TotpRemoval,
        UserSummary,
        UserPhone,
        UserPage,
        CreatedUser,
        UserCreated,
        RoleChange,
        RolesNow,
        UserPatch,
        ActiveNow,
        OrganizationKind,
        ServiceType,
        OrganizationRequest,
        OrganizationPatch,
        Organization,
        OneOrganization,
        OrganizationPage,
        Membership,
        OneMembership,
        MemberPage,
        MemberRequest,
        MemberAdded,
        MaybeInvited,
        MaybeInvitedStatus,
        InvitingOrganization,
        Invitation,
        Invitations,
        HeadRequest,
        Jwks,
        FieldError,
        Problem,
        RoleName,
    );
    OpenApi::builder()
        .info(
            Info::builder()
                .title("Auth service")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Sign-up and sign-in for the logistics platform. Errors are RFC 9457 \
                     `application/problem+json`. `HEAD` works wherever `GET` does; a wrong \
                     method is 405 with `Allow`.",
                ))
                .build(),
        )
        .servers(Some([Server::new("/api/v1")]))
        .tags(Some(
            [
                (
                    "sign-in",
                    "Register, log in, codes by SMS, refresh, log out.",
                ),
                ("account", "The signed-in user's own account."),
                (
                    "second-factor",
                    "TOTP with recovery codes: enrol, confirm, turn off.",
                ),
                (
                    "recovery",
                    "A forgotten password: a code to the verified phone or a link to a verified email.",
                ),
                ("users", "Administering users within one's grants."),
                (
                    "organizations",
                    "Fleets and firms, their members and heads.",
                ),
                ("roles", "Roles one may register into or grant."),
                ("probes", "Liveness, readiness, availability."),
                ("documentation", "This document and its reference page."),
            ]
            .map(|(name, description)| {
                let mut tag = Tag::new(name);
                tag.description = Some(description.to_string());
                tag
            }),
        ))
        .paths(paths)
        .components(Some(components.build()))
        .build()
}

/// The document as `docs/openapi.json` holds it.
pub fn document_json() -> String {
    let mut text = serde_json::to_string_pretty(&document()).expect("the document serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::routes::{Route, TABLE};
    use std::collections::BTreeSet;

    const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");

    /// `OPENAPI_WRITE=1 cargo test --lib --features openapi openapi` writes
    /// the file anew after a change.
    #[test]
    fn the_served_document_is_the_one_the_types_build() {
        let built = document_json();
        if std::env::var_os("OPENAPI_WRITE").is_some() {
            std::fs::write(FILE, &built).unwrap();
        }
        let kept = std::fs::read_to_string(FILE).unwrap_or_default();
        assert!(
            kept == built,
            "docs/openapi.json is not what the wire types build: run \
             OPENAPI_WRITE=1 cargo test --lib --features openapi openapi"
        );
    }

    #[test]
    fn the_document_and_the_route_table_name_the_same_paths_and_methods() {
        let document = document();
        let documented: BTreeSet<&str> = document.paths.paths.keys().map(String::as_str).collect();
        let routed: BTreeSet<&str> = TABLE.iter().map(|(template, _)| *template).collect();
        assert_eq!(
            documented, routed,
            "paths in the document against the route table"
        );
        for (template, item) in &document.paths.paths {
            let mut methods: Vec<&str> = [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
                ("PUT", item.put.is_some()),
            ]
            .into_iter()
            .filter_map(|(m, on)| on.then_some(m))
            .collect();
            if methods.contains(&"GET") {
                methods.push("HEAD");
            }
            let sample = format!(
                "/api/v1{}",
                template.replace("{id}", "i").replace("{user_id}", "u")
            );
            let (route, matched) = Route::find(&sample).unwrap();
            assert_eq!(matched, template);
            let mut allowed = route.allowed_methods().to_vec();
            allowed.sort_unstable();
            methods.sort_unstable();
            assert_eq!(allowed, methods, "methods of {template}");
        }
    }

    #[test]
    fn every_schema_it_names_is_defined() {
        let text = document_json();
        let document: serde_json::Value = serde_json::from_str(&text).unwrap();
        let defined = document["components"]["schemas"].as_object().unwrap();
        for reference in text.split("\"#/components/schemas/").skip(1) {
            let name = &reference[..reference.find('"').unwrap()];
            assert!(
                defined.contains_key(name),
                "{name} is named but not defined"
            );
        }
        assert_eq!(document["openapi"], "3.1.0");
    }
}
