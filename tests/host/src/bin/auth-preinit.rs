//! Pre-initializes the auth component at build time (Wizer): instantiates it,
//! calls its `wizer-initialize` export once (it loads the phone metadata),
//! and writes a component whose memory starts in that state, without the
//! export. Every import traps while it runs, so nothing the host would give
//! (time, secure randomness, variables, sockets) can end up in the snapshot —
//! except `wasi:random/insecure-seed`, which the standard library asks for
//! when the phone library builds its (std `HashMap`-based) regex cache: it
//! gets a constant, so the snapshot holds no random value, and the same
//! build always gives the same bytes. (Those std hash keys then stay fixed
//! in every instance; the component keys no std `HashMap` by client input.)
//!
//!     auth-preinit <component.wasm> <pre-initialized.wasm>

use anyhow::{Context, Result};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, Store};
use wasmtime_wizer::Wizer;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(input), Some(output), None) = (args.next(), args.next(), args.next()) else {
        anyhow::bail!("usage: auth-preinit <component.wasm> <pre-initialized.wasm>");
    };
    let wasm = std::fs::read(&input).with_context(|| format!("reading {input}"))?;

    let config = Config::new();
    let engine = Engine::new(&config)?;
    let mut store = Store::new(&engine, ());
    let (snapshot, _) = Wizer::new()
        // Wizer 48 drops the core export but not the component's use of it
        // (invalid output); kept, calling it again only reloads the metadata.
        .keep_init_func(true)
        .run_component(&mut store, &wasm, async |store, component: &Component| {
            let mut linker = Linker::new(store.engine());
            let engine = store.engine().clone();
            for (name, _) in component.component_type().imports(&engine) {
                if name.starts_with("wasi:random/insecure-seed@") {
                    linker
                        .instance(name)?
                        .func_wrap("insecure-seed", |_, (): ()| Ok(((0u64, 0u64),)))?;
                }
            }
            linker.define_unknown_imports_as_traps(component)?;
            linker.instantiate_async(store, component).await
        })
        .await
        .map_err(anyhow::Error::from)
        .context("pre-initializing the component")?;

    std::fs::write(&output, &snapshot).with_context(|| format!("writing {output}"))?;
    println!(
        "{input} ({} bytes) -> {output} ({} bytes), pre-initialized",
        wasm.len(),
        snapshot.len()
    );
    Ok(())
}
