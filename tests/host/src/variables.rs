//! `fermyon:spin/variables@2.0.0`: the component's own variables from the
//! manifest, resolved when the host starts.

use crate::bindings::fermyon::spin::variables::{self as v, Error};
use crate::state::RequestState;

impl v::Host for RequestState {
    async fn get(&mut self, name: String) -> Result<String, Error> {
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(Error::InvalidName(format!(
                "invalid variable name {name:?}"
            )));
        }
        self.services.variables.get(&name).cloned().ok_or_else(|| {
            Error::Undefined(format!(
                "no variable for {:?}.{name:?}",
                self.services.component_id
            ))
        })
    }
}
