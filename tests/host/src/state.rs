//! What one request's instance sees: WASI, WASI HTTP and the Spin services.

use crate::allowed_hosts::AllowedHosts;
use crate::postgres::PgPool;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{
    Error as HttpError, RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks,
    WasiHttpView,
};

/// Shared by every request: resolved once at start-up.
pub struct Services {
    pub component_id: String,
    pub variables: HashMap<String, String>,
    pub allowed_hosts: AllowedHosts,
    pub pg_pool: PgPool,
    /// The manifest's `files`: (host directory, guest path), read-only.
    pub files: Vec<(std::path::PathBuf, String)>,
}

pub struct RequestState {
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub table: ResourceTable,
    pub services: Arc<Services>,
    outbound: OutboundHttp,
}

/// `wasi:http/outgoing-handler` as Spin gives it: only to the hosts
/// `allowed_outbound_hosts` lists (others are refused, `HttpRequestDenied`),
/// with the request's timeouts.
struct OutboundHttp {
    services: Arc<Services>,
}

impl WasiHttpHooks for OutboundHttp {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> Box<
        dyn Future<
                Output = Result<
                    (
                        http::Response<WasiBody>,
                        Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                    ),
                    HttpError,
                >,
            > + Send,
    > {
        _ = fut;
        let uri = request.uri().to_string();
        let scheme = request.uri().scheme_str().unwrap_or("https").to_string();
        let allowed = self.services.allowed_hosts.allows(&uri, &scheme);
        Box::new(async move {
            use http_body_util::BodyExt;
            if !allowed {
                return Err(HttpError::HttpRequestDenied);
            }
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

impl RequestState {
    pub fn new(services: Arc<Services>) -> Self {
        RequestState {
            // Like Spin: no environment, the manifest's files read-only,
            // stdout/stderr to the log.
            wasi: {
                let mut wasi = WasiCtx::builder();
                wasi.inherit_stdout().inherit_stderr();
                for (host, guest) in &services.files {
                    if let Err(e) = wasi.preopened_dir(host, guest, FsPerms::ReadOnly) {
                        eprintln!("files: {} not mounted: {e}", host.display());
                    }
                }
                wasi.build()
            },
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            outbound: OutboundHttp {
                services: services.clone(),
            },
            services,
        }
    }
}

impl WasiView for RequestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for RequestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.outbound,
        }
    }
}
