//! Reads the parts of `spin.toml` that Spin uses to run this component: the
//! application variables, the HTTP trigger's route, and the component's source,
//! variables and `allowed_outbound_hosts`. Variables resolve as in Spin: the
//! environment (`SPIN_VARIABLE_<NAME>`) first, then the manifest default; a
//! required variable with neither stops the host before it serves anything.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct RawManifest {
    spin_manifest_version: u32,
    #[serde(default)]
    variables: BTreeMap<String, RawVariable>,
    trigger: RawTriggers,
    component: BTreeMap<String, RawComponent>,
}

#[derive(Deserialize)]
struct RawVariable {
    default: Option<String>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    #[allow(dead_code)]
    secret: bool,
}

#[derive(Deserialize)]
struct RawTriggers {
    http: Vec<RawHttpTrigger>,
}

#[derive(Deserialize)]
struct RawHttpTrigger {
    route: String,
    component: String,
}

#[derive(Deserialize)]
struct RawComponent {
    source: String,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    #[serde(default)]
    files: Vec<RawFileMount>,
}

/// `files = [{ source = "dir", destination = "/dir" }]` (Spin's glob
/// strings are not supported here).
#[derive(Deserialize)]
struct RawFileMount {
    source: String,
    destination: String,
}

/// The component as the host runs it, with every template already resolved.
pub struct App {
    pub component_id: String,
    pub source: PathBuf,
    /// The route pattern, e.g. `/api/v1/...`.
    pub route: String,
    /// Component variables (name → resolved value), as `variables::get` sees them.
    pub variables: HashMap<String, String>,
    pub allowed_outbound_hosts: Vec<String>,
    /// Directories mounted read-only: (host path, guest path).
    pub files: Vec<(PathBuf, String)>,
}

impl App {
    pub fn load(manifest_path: &Path, env: &HashMap<String, String>) -> Result<App> {
        let text = std::fs::read_to_string(manifest_path)
            .with_context(|| format!("reading {}", manifest_path.display()))?;
        let raw: RawManifest = toml::from_str(&text)
            .with_context(|| format!("parsing {}", manifest_path.display()))?;
        if raw.spin_manifest_version != 2 {
            bail!("only spin_manifest_version = 2 is supported");
        }
        let [trigger] = raw.trigger.http.as_slice() else {
            bail!("the manifest must have exactly one [[trigger.http]]");
        };
        let component = raw
            .component
            .get(&trigger.component)
            .with_context(|| format!("trigger names unknown component {}", trigger.component))?;

        let app_values = resolve_application_variables(&raw.variables, env)?;
        let mut variables = HashMap::new();
        for (name, template) in &component.variables {
            let value = expand_template(template, &app_values)
                .with_context(|| format!("component variable {name}"))?;
            variables.insert(name.clone(), value);
        }
        let allowed_outbound_hosts = component
            .allowed_outbound_hosts
            .iter()
            .map(|t| expand_template(t, &app_values))
            .collect::<Result<Vec<_>>>()
            .context("allowed_outbound_hosts")?;

        let base = manifest_path.parent().unwrap_or(Path::new("."));
        Ok(App {
            component_id: trigger.component.clone(),
            source: base.join(&component.source),
            route: trigger.route.clone(),
            variables,
            allowed_outbound_hosts,
            files: component
                .files
                .iter()
                .map(|f| (base.join(&f.source), f.destination.clone()))
                .collect(),
        })
    }
}

fn resolve_application_variables(
    declared: &BTreeMap<String, RawVariable>,
    env: &HashMap<String, String>,
) -> Result<HashMap<String, String>> {
    let mut values = HashMap::new();
    let mut missing = Vec::new();
    for (name, var) in declared {
        let env_name = format!("SPIN_VARIABLE_{}", name.to_uppercase());
        match env.get(&env_name).cloned().or_else(|| var.default.clone()) {
            Some(value) => {
                values.insert(name.clone(), value);
            }
            None if var.required => missing.push(name.clone()),
            None => {}
        }
    }
    if !missing.is_empty() {
        bail!(
            "required variables have no value: {} (set SPIN_VARIABLE_<NAME>)",
            missing.join(", ")
        );
    }
    Ok(values)
}

/// Expands `{{ name }}` references to application variables.
pub fn expand_template(template: &str, values: &HashMap<String, String>) -> Result<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").context("unclosed {{ in template")?;
        let name = after[..end].trim();
        let value = values
            .get(name)
            .with_context(|| format!("template refers to variable {name}, which has no value"))?;
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_expand_and_unknown_names_fail() {
        let values = HashMap::from([("host".to_string(), "127.0.0.1:5432".to_string())]);
        assert_eq!(
            expand_template("postgres://{{ host }}", &values).unwrap(),
            "postgres://127.0.0.1:5432"
        );
        assert!(expand_template("{{ nope }}", &values).is_err());
    }
}
