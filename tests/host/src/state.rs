//! What one request's instance sees: WASI, WASI HTTP and the Spin services.

use crate::allowed_hosts::AllowedHosts;
use crate::postgres::PgPool;
use std::collections::HashMap;
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Shared by every request: resolved once at start-up.
pub struct Services {
    pub component_id: String,
    pub variables: HashMap<String, String>,
    pub allowed_hosts: AllowedHosts,
    pub pg_pool: PgPool,
}

pub struct RequestState {
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub table: ResourceTable,
    pub services: Arc<Services>,
}

impl RequestState {
    pub fn new(services: Arc<Services>) -> Self {
        RequestState {
            // Like Spin: no environment, no preopened files, stdout/stderr to the log.
            wasi: WasiCtx::builder().inherit_stdout().inherit_stderr().build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
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
            hooks: Default::default(),
        }
    }
}
