//! A small stand-in for `spin up` that runs the auth component exactly as Spin
//! would, for the end-to-end tests, the browser test and the benchmark.
//!
//!     spin-test-host --manifest spin.toml --listen 127.0.0.1:3000 [--variable name=value]…
//!     spin-test-host --print-imports target/auth-service.wasm
//!
//! It provides WASI and `wasi:http`, and the Spin interfaces named in
//! `wit/world.wit` (`spin-services`). A component importing anything else is
//! refused at start-up with the name of the missing import.

mod allowed_hosts;
mod bindings;
mod manifest;
mod postgres;
mod redis_host;
mod server;
mod state;
mod variables;

use anyhow::{bail, Context, Result};
use state::{RequestState, Services};
use std::path::PathBuf;
use std::sync::Arc;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine};
use wasmtime_wasi_http::p2::bindings::ProxyPre;

struct Args {
    manifest: PathBuf,
    listen: Option<String>,
    /// A component whose imports and exports to list, instead of serving.
    print_imports: Option<PathBuf>,
    /// `--variable name=value`, as `spin up` takes them: they win over
    /// `SPIN_VARIABLE_*` and the manifest's defaults.
    variables: Vec<(String, String)>,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        manifest: PathBuf::from("spin.toml"),
        listen: None,
        print_imports: None,
        variables: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--manifest" => args.manifest = it.next().context("--manifest needs a path")?.into(),
            "--listen" => args.listen = Some(it.next().context("--listen needs host:port")?),
            "--print-imports" => {
                args.print_imports = Some(
                    it.next()
                        .context("--print-imports needs a .wasm path")?
                        .into(),
                )
            }
            "--variable" => {
                let pair = it.next().context("--variable needs name=value")?;
                let (name, value) = pair
                    .split_once('=')
                    .context("--variable needs name=value")?;
                args.variables.push((name.to_string(), value.to_string()));
            }
            other => bail!("unknown argument {other:?}"),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let engine = Engine::new(&Config::new())?;
    let load = |path: &std::path::Path| {
        Component::from_file(&engine, path)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("loading {}", path.display()))
    };

    if let Some(path) = &args.print_imports {
        let ty = load(path)?.component_type();
        for (name, _) in ty.imports(&engine) {
            println!("import {name}");
        }
        for (name, _) in ty.exports(&engine) {
            println!("export {name}");
        }
        return Ok(());
    }

    let mut env: std::collections::HashMap<String, String> = std::env::vars().collect();
    for (name, value) in &args.variables {
        env.insert(
            format!("SPIN_VARIABLE_{}", name.to_uppercase()),
            value.clone(),
        );
    }
    let app = manifest::App::load(&args.manifest, &env)?;
    let component = load(&app.source)?;

    let mut linker: Linker<RequestState> = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    bindings::SpinServices::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)?;
    let pre = ProxyPre::new(
        linker
            .instantiate_pre(&component)
            .map_err(anyhow::Error::from)
            .context("the component imports something this host does not provide")?,
    )?;

    let services = Arc::new(Services {
        component_id: app.component_id.clone(),
        variables: app.variables.clone(),
        allowed_hosts: allowed_hosts::AllowedHosts::parse(&app.allowed_outbound_hosts)?,
        pg_pool: Default::default(),
        files: app.files.clone(),
    });
    let server = Arc::new(server::Server {
        pre,
        services,
        route_prefix: server::route_prefix(&app.route)?,
        route: app.route.clone(),
    });
    let listen = args.listen.unwrap_or_else(|| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    println!(
        "Serving http://{}{} (component {})",
        listener.local_addr()?,
        app.route,
        app.component_id
    );
    server.serve(listener).await
}
