//! `GET /openapi.json`, the API's OpenAPI 3.1 document, and `GET /docs`,
//! a reference page rendered from it in the browser by Swagger UI. The
//! document is built from the wire types (`openapi`, a native build) and
//! kept in `docs/openapi.json`; the viewer is vendored in `static/docs/`
//! and reaches the component through the files mount in `spin.toml`, so
//! the `.wasm` stays small and the page fetches nothing from elsewhere.

use super::reply::Reply;
use crate::core::problem::ApiError;
use crate::edge::files;

const DOCUMENT: &str = include_str!("../../../docs/openapi.json");

/// Where `spin.toml` mounts `static/`.
const ASSETS: &str = "/static/docs";
const DEMO: &str = "/static/demo";

pub fn document() -> Reply {
    Reply {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: DOCUMENT.as_bytes().to_vec(),
    }
    .header("cache-control", "public, max-age=300")
}

/// The page: Swagger UI over the document, with its validator (a call to
/// another site) switched off.
pub fn reference_page() -> Reply {
    const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Auth service — API reference</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
<div id="ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script>
SwaggerUIBundle({ url: "openapi.json", dom_id: "#ui", validatorUrl: null,
  deepLinking: true, tryItOutEnabled: false, withCredentials: true });
</script>
</body>
</html>
"##;
    Reply {
        status: 200,
        headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
        body: PAGE.as_bytes().to_vec(),
    }
    .header("cache-control", "public, max-age=300")
}

/// One of the viewer's files (`static/docs`: its script and style).
pub fn asset(name: &str) -> Result<Reply, ApiError> {
    Ok(mounted_file(ASSETS, name)?.header("cache-control", "public, max-age=86400"))
}

/// A file of the demo pages (`static/demo`).
pub fn demo_file(name: &str) -> Result<Reply, ApiError> {
    Ok(mounted_file(DEMO, name)?
        // The pages hold no data; the API calls they make are no-store.
        .header("cache-control", "no-cache")
        .header(
            "content-security-policy",
            // No form may post elsewhere, no <base> may move relative URLs.
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        .header("referrer-policy", "no-referrer"))
}

/// A file of the files mount under `dir`: only a plain name (letters,
/// digits, `-`, `_`) of a kind a page needs, so no path reaches further
/// into the file system; anything else, or a file not there, is 404.
fn mounted_file(dir: &str, name: &str) -> Result<Reply, ApiError> {
    let content_type = match name.rsplit_once('.') {
        Some((stem, "html")) if is_plain(stem) => "text/html; charset=utf-8",
        Some((stem, "js")) if is_plain(stem) => "text/javascript; charset=utf-8",
        Some((stem, "css")) if is_plain(stem) => "text/css; charset=utf-8",
        _ => return Err(ApiError::NotFound),
    };
    let body = files::read(&format!("{dir}/{name}")).ok_or_else(|| {
        eprintln!("{dir}/{name} not readable: is static/ mounted (spin.toml files)?");
        ApiError::NotFound
    })?;
    Ok(Reply {
        status: 200,
        headers: vec![("content-type".into(), content_type.into())],
        body,
    })
}

fn is_plain(stem: &str) -> bool {
    !stem.is_empty()
        && stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
