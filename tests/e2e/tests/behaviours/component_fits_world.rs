//! The built component needs nothing beyond the world in `wit/`, so any host
//! that provides that world (Spin does) can run it. The p3 build needs
//! exactly the spin-sdk 7 interfaces listed below, which Spin ≥ 4.1 provides.

use std::collections::BTreeSet;
use std::path::Path;
use wit_component::DecodedWasm;
use wit_parser::{Resolve, WorldId, WorldKey};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .parent()
        .unwrap()
}

/// (imports, exports) of the world, as fully qualified interface names.
fn world() -> (BTreeSet<String>, BTreeSet<String>) {
    let mut resolve = Resolve::default();
    let (package, _) = resolve.push_dir(repo().join("wit")).expect("wit/ parses");
    let world = resolve
        .select_world(&[package], Some("auth-service"))
        .expect("world auth-service");
    names(&resolve, world)
}

fn names(resolve: &Resolve, world: WorldId) -> (BTreeSet<String>, BTreeSet<String>) {
    let name = |key: &WorldKey| match key {
        WorldKey::Interface(id) => resolve.id_of(*id).expect("a named interface"),
        WorldKey::Name(name) => name.clone(),
    };
    let w = &resolve.worlds[world];
    (
        w.imports.keys().map(name).collect(),
        w.exports.keys().map(name).collect(),
    )
}

/// (imports, exports) of the built p2 component, decoded from its binary.
fn component() -> (BTreeSet<String>, BTreeSet<String>) {
    decoded("target/auth-service.wasm")
}

fn decoded(path: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let wasm = std::fs::read(repo().join(path)).expect("the component is built (./build.sh)");
    let DecodedWasm::Component(resolve, world) = wit_component::decode(&wasm).expect("a component")
    else {
        panic!("the .wasm is a WIT package, not a component");
    };
    names(&resolve, world)
}

#[test]
fn every_import_of_the_component_is_in_the_world() {
    let (world_imports, _) = world();
    let (imports, _) = component();
    let missing: Vec<_> = imports.difference(&world_imports).collect();
    assert!(
        missing.is_empty(),
        "the component imports what wit/world.wit does not list: {missing:?}"
    );
}

#[test]
fn the_world_lists_no_spin_service_the_component_does_not_use() {
    let (world_imports, _) = world();
    let (imports, _) = component();
    let unused: Vec<_> = world_imports
        .iter()
        .filter(|i| i.starts_with("spin:") || i.starts_with("fermyon:"))
        .filter(|i| !imports.contains(*i))
        .collect();
    assert!(
        unused.is_empty(),
        "wit/world.wit lists Spin interfaces the component never imports: {unused:?}"
    );
}

#[test]
fn the_component_exports_the_http_handler_of_the_world() {
    let (_, world_exports) = world();
    let (_, exports) = component();
    assert_eq!(exports, world_exports);
    assert!(exports.contains("wasi:http/incoming-handler@0.2.0"));
}

/// What the p3 build may import: Spin's PostgreSQL, Redis and variables as
/// spin-sdk 7 binds them, and the WASI 0.3 (and, for the standard library,
/// 0.2) interfaces Spin 4.1 provides. Nothing else: no key-value, no
/// sockets; outbound HTTP for the SMS gateway and the filesystem for the
/// read-only files mount only.
const P3_IMPORTS: &[&str] = &[
    "spin:postgres/postgres@4.2.0",
    "spin:redis/redis@3.0.0",
    "spin:variables/variables@3.0.0",
];

#[test]
fn the_p3_build_imports_spin_services_it_uses_and_wasi_only() {
    let (imports, exports) = decoded("target/auth-service-p3.wasm");
    let spin: BTreeSet<&str> = imports
        .iter()
        .map(String::as_str)
        .filter(|i| !i.starts_with("wasi:"))
        .collect();
    assert_eq!(spin, P3_IMPORTS.iter().copied().collect());
    for wasi in imports.iter().filter(|i| i.starts_with("wasi:")) {
        let allowed = [
            "wasi:cli/",
            "wasi:clocks/",
            "wasi:random/",
            "wasi:io/",
            "wasi:http/types@",
            // Outbound HTTP: the SMS gateway.
            "wasi:http/client@",
            // The files mount (the API reference's viewer).
            "wasi:filesystem/",
        ];
        assert!(
            allowed.iter().any(|a| wasi.starts_with(a)),
            "the p3 build imports {wasi}"
        );
    }
    assert!(exports.contains("wasi:http/handler@0.3.0"), "{exports:?}");
}
