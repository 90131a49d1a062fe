//! Settings come from Spin variables (`[component.auth.variables]`).

use crate::core::config::{Config, ConfigError};

pub fn load_config() -> Result<Config, ConfigError> {
    Config::load(|name| spin_sdk::variables::get(name).ok())
}
