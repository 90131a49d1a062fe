//! The component's build-time initializer: `auth-preinit` (tests/host) calls
//! this export once, snapshots the memory it leaves behind into the served
//! `.wasm`, and every request's fresh instance starts with the phone metadata
//! already loaded (≈80 ms of CPU per request otherwise). It calls no host
//! import but `insecure-seed` (see auth-preinit): nothing from the host,
//! nothing random or secret, ends up in the snapshot.

wit_bindgen::generate!({
    inline: r#"
        package auth:preinit;
        world preinit {
            export wizer-initialize: func();
        }
    "#,
});

struct Preinit;

impl Guest for Preinit {
    fn wizer_initialize() {
        crate::core::identity::Phone::warm_up();
    }
}

export!(Preinit);
