//! The end-to-end behaviours, one module per file, named after the
//! behaviour it protects, all in this one test binary: built once and
//! linked once (55 binaries took 6.8 GB of `target/debug/deps` and 25 s to
//! relink after a helper edit; one takes 1.2 GB and 2 s), and their tests
//! run side by side, four at a time (`--test-threads=4` in the test
//! command). Kanidm's testkit gathers its tests the same way, for the same
//! reasons.
//!
//! A new behaviour is a new file here and a `mod` line below. Tests of
//! different files now share the run: a test that changes something other
//! tests see (a rate limit, a shared counter, the shared Redis or database
//! server) uses an identity, a host, a Redis or a database of its own
//! (`OwnHost`, `OwnRedis`, `fresh_database`, `OwnPostgres`).

mod a_cached_me_never_goes_back_in_time;
mod a_forgotten_password_is_recovered_by_code_or_link;
mod a_hung_dependency_ends_requests_within_the_timeout;
mod a_password_checked_before_a_change_opens_nothing;
mod a_password_may_not_be_ones_phone_in_any_spelling;
mod a_redis_that_lost_its_scripts_gets_them_again;
mod a_replays_end_always_reaches_the_database;
mod a_second_factor_guards_sign_in_and_staff_work;
mod a_stolen_access_token_cannot_change_how_one_signs_in;
mod access_tokens_never_outlive_their_session;
mod an_abandoned_transaction_is_never_handed_on;
mod an_organization_change_is_all_or_nothing;
mod an_unverified_phone_never_keeps_its_owner_out;
mod availability_after_normalization;
mod bad_input_is_a_clear_problem;
mod bodies_up_to_the_limit_are_read_whole;
mod closed_database_connections_are_503_never_500;
mod component_fits_world;
mod concurrent_registrations_have_one_winner;
mod contacts_keep_their_history;
mod cookie_mode_and_cors;
mod current_password_guesses_are_throttled;
mod database_outage_fails_closed;
mod deployment_files_match_the_manifest;
mod each_email_gateway_is_spoken_and_its_failures_are_503;
mod eddsa_keys_and_jwks;
mod emails_are_verified_by_their_link;
mod ended_sessions_are_never_accepted;
mod every_function_has_one_definition;
mod heads_act_only_within_their_organizations;
mod heads_invite_and_people_consent;
mod hostile_values_never_answer_5xx;
mod http_details_follow_the_rfcs;
mod jwt_attacks_are_rejected;
mod login_failures_look_the_same;
mod logout_blacklists_the_token;
mod me_is_cached_and_forgotten_on_change;
mod migrations_are_repeatable;
mod no_loss_of_redis_keys_revives_an_ended_session;
mod nobody_runs_up_the_sms_bill;
mod operator_files_keep_secrets_private;
mod outbound_hosts_are_enforced;
mod phone_codes_sign_in_and_sign_up;
mod readiness_names_what_failed;
mod recovery_never_tells_who_has_an_account;
mod redis_outage_fails_closed;
mod refresh_rotation;
mod register_and_login;
mod registered_event_is_published;
mod registration_is_atomic;
mod repeated_login_failures_lock_the_login;
mod requests_and_security_events_are_logged_as_json;
mod requests_per_client_ip_are_limited;
mod roles_by_interface_and_by_grant;
mod service_role_cannot_touch_tables;
mod session_limit_evicts_oldest;
mod sessions_and_password;
mod sms_development_mode_is_chosen_never_assumed;
mod sql_functions;
mod storage_stays_bounded;
mod stored_functions_keep_their_plans;
mod taken_contacts_conflict;
mod the_cdc_connector_reads_the_outbox;
mod the_client_address_is_the_one_trusted_proxies_vouch_for;
mod the_first_superadmin_comes_from_an_operator_command;
mod the_readme_walkthrough_runs_as_written;
mod users_are_administered_within_ones_grants;
mod variables_from_environment_and_command_line;
