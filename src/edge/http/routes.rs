//! The handler of each route (the table of paths and methods is in
//! `api/routes.rs`). Find a handler by its URL here.

use super::incoming::Incoming;
use super::reply::Reply;
use super::{
    auth, contacts, contract, invitations, keys, organizations, otp, probes, recovery, roles,
    second_factor, sessions, users,
};
use crate::api::routes::Route;
use crate::core::config::Config;
use crate::core::problem::ApiError;

impl Route {
    /// The handler's answer. Each reads the settings it needs, when it needs
    /// them: liveness none, readiness all (and reports a bad one itself).
    pub async fn handle(self, incoming: &Incoming, config: &Config) -> Result<Reply, ApiError> {
        match self {
            Route::Health => probes::health().await,
            Route::Ready => probes::ready(config).await,
            Route::Availability => probes::availability(incoming, config).await,
            Route::Roles => roles::list(incoming, config).await,
            Route::Jwks => keys::jwks(config).await,
            Route::OpenApi => Ok(contract::document()),
            Route::Docs => Ok(contract::reference_page()),
            Route::DocsAsset(name) => contract::asset(&name),
            Route::DemoFile(name) => contract::demo_file(&name),
            Route::Register => auth::register(incoming, config).await,
            Route::Login => auth::login(incoming, config).await,
            Route::OtpRequest => otp::request(incoming, config).await,
            Route::OtpVerify => otp::verify(incoming, config).await,
            Route::Refresh => auth::refresh(incoming, config).await,
            Route::Logout => auth::logout(incoming, config).await,
            Route::Me => auth::me(incoming, config).await,
            Route::Password => auth::change_password(incoming, config).await,
            Route::EmailVerify => recovery::verify_email(incoming, config).await,
            Route::EmailVerification => recovery::request_verification(incoming, config).await,
            Route::Recovery => recovery::request(incoming, config).await,
            Route::RecoveryComplete => recovery::complete(incoming, config).await,
            Route::Totp if incoming.method == "DELETE" => {
                second_factor::remove(incoming, config).await
            }
            Route::Totp => second_factor::enrol(incoming, config).await,
            Route::TotpConfirm => second_factor::confirm(incoming, config).await,
            Route::LoginMfa => second_factor::login(incoming, config).await,
            Route::Sessions => sessions::list(incoming, config).await,
            Route::Session(id) => sessions::revoke(incoming, config, &id).await,
            Route::Contacts => contacts::add(incoming, config).await,
            Route::Contact(id) => contacts::remove(incoming, config, &id).await,
            Route::Users if incoming.method == "POST" => users::create(incoming, config).await,
            Route::Users => users::list(incoming, config).await,
            Route::User(id) => users::patch(incoming, config, &id).await,
            Route::UserRoles(id) => users::change_roles(incoming, config, &id).await,
            Route::Organizations if incoming.method == "POST" => {
                organizations::create(incoming, config).await
            }
            Route::Organizations => organizations::list(incoming, config).await,
            Route::Organization(id) if incoming.method == "PATCH" => {
                organizations::patch(incoming, config, &id).await
            }
            Route::Organization(id) => organizations::get(incoming, config, &id).await,
            Route::Members(id) if incoming.method == "POST" => {
                organizations::add_member(incoming, config, &id).await
            }
            Route::Members(id) => organizations::members(incoming, config, &id).await,
            Route::Member(id, user) => {
                organizations::remove_member(incoming, config, &id, &user).await
            }
            Route::Heads(id) => organizations::appoint_head(incoming, config, &id).await,
            Route::Head(id, user) => {
                organizations::dismiss_head(incoming, config, &id, &user).await
            }
            Route::Invitations => invitations::list(incoming, config).await,
            Route::AcceptInvitation(id) => invitations::accept(incoming, config, &id).await,
            Route::DeclineInvitation(id) => invitations::decline(incoming, config, &id).await,
        }
    }
}
