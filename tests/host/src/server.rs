//! Incoming HTTP, served the way Spin's HTTP trigger does: the route from the
//! manifest decides whether the component sees a request (otherwise 404), the
//! `spin-*` request headers are set by the host (a client cannot forge them),
//! and each request gets a fresh instance of the component.

use crate::state::{RequestState, Services};
use anyhow::{bail, Result};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use std::net::SocketAddr;
use std::sync::Arc;
use wasmtime::Store;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::WasiHttpView;

pub struct Server {
    pub pre: ProxyPre<RequestState>,
    pub services: Arc<Services>,
    /// The route's fixed prefix, e.g. `/api/v1` for `/api/v1/...`.
    pub route_prefix: String,
    pub route: String,
}

impl Server {
    pub async fn serve(self: Arc<Self>, listener: tokio::net::TcpListener) -> Result<()> {
        loop {
            let (stream, peer) = listener.accept().await?;
            let server = self.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let server = server.clone();
                    async move { server.handle(req, peer).await }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    }

    fn matches_route(&self, path: &str) -> Option<String> {
        let rest = path.strip_prefix(&self.route_prefix)?;
        (rest.is_empty() || rest.starts_with('/')).then(|| rest.to_string())
    }

    async fn handle(
        &self,
        mut req: hyper::Request<Incoming>,
        peer: SocketAddr,
    ) -> Result<hyper::Response<HyperOutgoingBody>> {
        let path = req.uri().path().to_string();
        let Some(path_info) = self.matches_route(&path) else {
            return Ok(plain(404, "Not Found"));
        };
        // As Spin (crates/trigger-http/src/server.rs, `set_req_uri`): a
        // request that names no host, in `Host` or in its target, is not
        // served; the connection is closed without an answer.
        let Some(host) = req
            .headers()
            .get(hyper::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_string)
            .or_else(|| req.uri().authority().map(|a| a.to_string()))
        else {
            anyhow::bail!("no 'Host' header present in request");
        };
        let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
        let full_url = format!("http://{host}{target}");
        let headers = req.headers_mut();
        headers.retain_spin_headers();
        for (name, value) in [
            ("spin-full-url", full_url),
            ("spin-path-info", path_info),
            ("spin-matched-route", self.route.clone()),
            ("spin-raw-component-route", self.route.clone()),
            ("spin-component-route", self.route_prefix.clone()),
            ("spin-base-path", "/".to_string()),
            ("spin-client-addr", peer.to_string()),
        ] {
            headers.insert(name, value.parse()?);
        }

        let mut store = Store::new(self.pre.engine(), RequestState::new(self.services.clone()));
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let incoming = store
            .data_mut()
            .http()
            .new_incoming_request(Scheme::Http, req)?;
        let out = store.data_mut().http().new_response_outparam(sender)?;
        let pre = self.pre.clone();
        let task = tokio::spawn(async move {
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, incoming, out)
                .await
        });
        match receiver.await {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => {
                let cause = match task.await {
                    Ok(Ok(())) => anyhow::anyhow!("the component never set a response"),
                    Ok(Err(e)) => e.into(),
                    Err(e) => e.into(),
                };
                eprintln!("component trapped: {cause:?}");
                Ok(plain(500, "Internal Server Error"))
            }
        }
    }
}

trait RetainSpinHeaders {
    fn retain_spin_headers(&mut self);
}

impl RetainSpinHeaders for hyper::HeaderMap {
    /// Removes client-sent `spin-*` headers: only the host may set them.
    fn retain_spin_headers(&mut self) {
        let forged: Vec<_> = self
            .keys()
            .filter(|k| k.as_str().starts_with("spin-"))
            .cloned()
            .collect();
        for k in forged {
            self.remove(k);
        }
    }
}

fn plain(status: u16, text: &'static str) -> hyper::Response<HyperOutgoingBody> {
    let body = Full::new(bytes::Bytes::from_static(text.as_bytes()))
        .map_err(|never| match never {})
        .boxed_unsync();
    hyper::Response::builder()
        .status(status)
        .body(body)
        .expect("static response")
}

/// `/api/v1/...` → `/api/v1`; an exact route is its own prefix.
pub fn route_prefix(route: &str) -> Result<String> {
    if let Some(prefix) = route.strip_suffix("/...") {
        return Ok(prefix.to_string());
    }
    if route.contains("...") {
        bail!("unsupported route pattern {route:?}");
    }
    Ok(route.trim_end_matches('/').to_string())
}
