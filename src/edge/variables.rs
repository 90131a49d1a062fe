//! Settings come from Spin variables (`[component.auth.variables]`), each
//! read when a request first needs it (see `core::config`).

use crate::core::config::Config;

pub fn config() -> Config {
    Config::new(|name| spin_sdk::variables::get(name).ok())
}
