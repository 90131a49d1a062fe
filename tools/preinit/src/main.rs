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
//!     auth-preinit --time <component.wasm> [instances]
//!
//! `--time` measures instead: on fresh instances of the given component, how
//! long `wizer-initialize` (two phone numbers parsed) takes — the cold load
//! on a plain build, a phone parse with the metadata loaded on a
//! pre-initialized one.

use anyhow::{Context, Result};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, Store};
use wasmtime_wizer::Wizer;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--time") {
        let input = args.get(1).context("--time needs a component")?;
        let instances = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(20);
        return time_warm_up(input, instances).await;
    }
    let mut args = args.into_iter();
    let (Some(input), Some(output), None) = (args.next(), args.next(), args.next()) else {
        anyhow::bail!("usage: auth-preinit <component.wasm> <pre-initialized.wasm>");
    };
    let wasm = std::fs::read(&input).with_context(|| format!("reading {input}"))?;

    let engine = Engine::new(&engine_config())?;
    let mut store = Store::new(&engine, ());
    let (snapshot, _) = Wizer::new()
        // Wizer 48 drops the core export but not the component's use of it
        // (invalid output); kept, calling it again only reloads the metadata.
        .keep_init_func(true)
        .run_component(&mut store, &wasm, async |store, component: &Component| {
            linker_for(store.engine(), component)?
                .instantiate_async(store, component)
                .await
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

/// Both builds: the WASIp3 one uses the component model's async ABI.
fn engine_config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model_async(true);
    config
}

/// Every import traps but `insecure-seed`, which answers a constant.
fn linker_for(engine: &Engine, component: &Component) -> wasmtime::Result<Linker<()>> {
    let mut linker = Linker::new(engine);
    for (name, _) in component.component_type().imports(engine) {
        if name.starts_with("wasi:random/insecure-seed@") {
            linker
                .instance(name)?
                .func_wrap("insecure-seed", |_, (): ()| Ok(((0u64, 0u64),)))?;
        }
    }
    linker.define_unknown_imports_as_traps(component)?;
    Ok(linker)
}

async fn time_warm_up(path: &str, instances: usize) -> Result<()> {
    let engine = Engine::new(&engine_config())?;
    let component = Component::from_file(&engine, path).map_err(anyhow::Error::from)?;
    let pre = linker_for(&engine, &component)
        .and_then(|l| l.instantiate_pre(&component))
        .map_err(anyhow::Error::from)?;
    let mut took = Vec::new();
    for _ in 0..instances {
        let mut store = Store::new(&engine, ());
        let instance = pre
            .instantiate_async(&mut store)
            .await
            .map_err(anyhow::Error::from)?;
        let warm_up = instance
            .get_typed_func::<(), ()>(&mut store, "wizer-initialize")
            .map_err(anyhow::Error::from)?;
        let started = std::time::Instant::now();
        warm_up
            .call_async(&mut store, ())
            .await
            .map_err(anyhow::Error::from)?;
        took.push(started.elapsed().as_secs_f64() * 1000.0 / 2.0);
    }
    took.sort_by(f64::total_cmp);
    println!(
        "{path}: one phone parse on a fresh instance: median {:.3} ms, max {:.3} ms ({instances} instances, 2 parses each)",
        took[took.len() / 2],
        took[took.len() - 1]
    );
    Ok(())
}
