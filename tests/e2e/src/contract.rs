//! Every answer an end-to-end test gets is checked against the OpenAPI
//! document the service serves (`docs/openapi.json`, built from the wire
//! types): a documented status for that operation, the documented media
//! type, and a body that its schema accepts. A test fails on any answer the
//! document does not describe.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

struct Document {
    root: Value,
    /// Compiled validators by schema reference.
    validators: Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>,
}

fn document() -> &'static Document {
    static DOCUMENT: OnceLock<Document> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let path = crate::repo_root().join("docs/openapi.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Document {
            root: serde_json::from_str(&text).expect("docs/openapi.json is JSON"),
            validators: Mutex::new(HashMap::new()),
        }
    })
}

impl Document {
    fn validator(&self, reference: &str) -> std::sync::Arc<jsonschema::Validator> {
        let mut cache = self.validators.lock().unwrap();
        cache
            .entry(reference.to_string())
            .or_insert_with(|| {
                // The document's components beside a root that names one.
                let schema = json!({
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "$ref": reference,
                    "components": self.root["components"],
                });
                std::sync::Arc::new(
                    jsonschema::options()
                        .should_validate_formats(true)
                        .build(&schema)
                        .unwrap_or_else(|e| panic!("schema {reference}: {e}")),
                )
            })
            .clone()
    }

    /// The template of `path` (after `/api/v1`) and its path item.
    fn path_item(&self, path: &str) -> Option<(&str, &Value)> {
        self.root["paths"]
            .as_object()?
            .iter()
            .find_map(|(template, item)| {
                let (mut want, mut got) = (template.split('/'), path.split('/'));
                loop {
                    match (want.next(), got.next()) {
                        (None, None) => return Some((template.as_str(), item)),
                        (Some(w), Some(g)) if w.starts_with('{') && !g.is_empty() => {}
                        (Some(w), Some(g)) if w == g => {}
                        _ => return None,
                    }
                }
            })
    }

    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value["$ref"].as_str() {
            Some(r) => self.root.pointer(&r[1..]).unwrap_or(&Value::Null),
            None => value,
        }
    }
}

/// Panics when the answer to `method path` is not one the document describes.
pub fn check(method: &str, url_path: &str, status: u16, content_type: Option<&str>, body: &str) {
    let doc = document();
    let path = url_path.split('?').next().unwrap_or_default();
    let media = content_type.map(|c| c.split(';').next().unwrap_or_default().trim());
    let answer = format!("{method} {path} answered {status}");
    let problem = || {
        assert_eq!(
            media,
            Some("application/problem+json"),
            "{answer}: not a problem document"
        );
        validate(doc, "#/components/schemas/Problem", body, &answer);
    };
    let Some(api_path) = path.strip_prefix("/api/v1") else {
        // Outside the API: the demo pages (HTML, not in the document), or 404.
        if status == 200 {
            return;
        }
        return problem();
    };
    let Some((template, item)) = doc.path_item(api_path) else {
        // Nothing there: 404 for every method, or 204 to OPTIONS.
        if status == 404 {
            return problem();
        }
        panic!("{answer}, but the document has no such path");
    };
    let operation = match method {
        "HEAD" => &item["get"],
        other => &item[other.to_ascii_lowercase()],
    };
    if method == "OPTIONS" || operation.is_null() {
        // Answered by the router for every path alike: 204 with `Allow` to
        // OPTIONS, 405 with `Allow` to a method the path does not take.
        match status {
            204 if method == "OPTIONS" => return,
            405 => return problem(),
            _ => panic!("{answer}: {template} has no {method} operation"),
        }
    }
    let Some(response) = operation["responses"].get(status.to_string()) else {
        if status == 405 {
            // A method the path takes, refused before it is read (HEAD on a
            // path without GET is not documented separately).
            return problem();
        }
        panic!("{answer}: the document lists no {status} for {method} {template}");
    };
    if method == "HEAD" || status == 204 {
        assert!(body.is_empty(), "{answer} with a body");
        return;
    }
    let response = doc.resolve(response);
    let Some(content) = response["content"].as_object() else {
        assert!(body.is_empty(), "{answer}: the document gives it no body");
        return;
    };
    let media = media.unwrap_or_else(|| panic!("{answer} without a content type"));
    let Some(described) = content.get(media) else {
        panic!(
            "{answer} as {media}; the document says {:?}",
            content.keys().collect::<Vec<_>>()
        );
    };
    if let Some(reference) = described["schema"]["$ref"].as_str() {
        validate(doc, reference, body, &answer);
    }
}

fn validate(doc: &Document, reference: &str, body: &str, answer: &str) {
    let instance: Value = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("{answer}: the body is not JSON ({e})"));
    let validator = doc.validator(reference);
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        // Where and which rule, never the value (it may be a token).
        .map(|e| format!("{} breaks {}", e.instance_path(), e.schema_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{answer}: the body does not match {reference}: {errors:?}"
    );
}
