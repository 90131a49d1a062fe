//! Every deployment file in `deploy/` parses as its platform reads it, has
//! the keys the platform requires, and sets only variables `spin.toml`
//! declares — every required one among them. A variable renamed in
//! `spin.toml` fails here before it fails a deployment.

use std::collections::BTreeSet;

fn read(path: &str) -> String {
    std::fs::read_to_string(e2e::repo_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// (every variable, the required ones) of spin.toml.
fn declared() -> (BTreeSet<String>, BTreeSet<String>) {
    let manifest: toml::Value = toml::from_str(&read("spin.toml")).expect("spin.toml parses");
    let variables = manifest["variables"].as_table().expect("[variables]");
    let all = variables.keys().cloned().collect();
    let required = variables
        .iter()
        .filter(|(_, v)| v.get("required").and_then(toml::Value::as_bool) == Some(true))
        .map(|(k, _)| k.clone())
        .collect();
    (all, required)
}

fn assert_sets(file: &str, set: &BTreeSet<String>) {
    let (all, required) = declared();
    let unknown: Vec<_> = set.difference(&all).collect();
    assert!(
        unknown.is_empty(),
        "{file} sets variables spin.toml does not declare: {unknown:?}"
    );
    let missing: Vec<_> = required.difference(set).collect();
    assert!(
        missing.is_empty(),
        "{file} leaves required variables unset: {missing:?}"
    );
}

#[test]
fn the_spinapp_binds_declared_variables_from_the_secret_and_probes_the_service() {
    let app: serde_yaml::Value =
        serde_yaml::from_str(&read("deploy/spinkube/spinapp.yaml")).expect("YAML");
    assert_eq!(app["apiVersion"], "core.spinkube.dev/v1alpha1");
    assert_eq!(app["kind"], "SpinApp");
    let spec = &app["spec"];
    assert!(
        spec["image"].as_str().is_some_and(|i| !i.is_empty()),
        "spec.image"
    );
    assert_eq!(spec["executor"], "containerd-shim-spin");
    assert!(
        spec["replicas"].as_u64().is_some_and(|r| r >= 2),
        "replicas"
    );
    assert_eq!(
        spec["checks"]["readiness"]["httpGet"]["path"],
        "/api/v1/auth/ready"
    );
    assert_eq!(
        spec["checks"]["liveness"]["httpGet"]["path"],
        "/api/v1/auth/health"
    );

    let secret: serde_yaml::Value =
        serde_yaml::from_str(&read("deploy/spinkube/secret.example.yaml")).expect("YAML");
    assert_eq!(secret["kind"], "Secret");
    let secret_name = secret["metadata"]["name"].as_str().unwrap();
    let secret_keys: BTreeSet<&str> = secret["stringData"]
        .as_mapping()
        .expect("stringData")
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();

    let mut set = BTreeSet::new();
    for variable in spec["variables"].as_sequence().expect("spec.variables") {
        let name = variable["name"].as_str().expect("a name").to_string();
        let from_secret = &variable["valueFrom"]["secretKeyRef"];
        if from_secret.is_mapping() {
            assert_eq!(from_secret["name"], secret_name, "{name}: another secret");
            let key = from_secret["key"].as_str().unwrap();
            assert!(
                secret_keys.contains(key),
                "{name}: the secret has no key {key}"
            );
        } else {
            assert!(
                variable["value"].is_string(),
                "{name}: neither value nor secretKeyRef"
            );
        }
        assert!(set.insert(name.clone()), "{name} bound twice");
    }
    assert_sets("deploy/spinkube/spinapp.yaml", &set);
    // Secrets never as plain values.
    for secret_variable in ["jwt_secret", "db_url", "redis_url"] {
        let bound = spec["variables"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|v| v["name"] == secret_variable)
            .unwrap();
        assert!(bound["value"].is_null(), "{secret_variable} in the clear");
    }
}

#[test]
fn the_akamai_variables_are_declared_ones() {
    let text = read("deploy/akamai/variables.example.env");
    let mut set = BTreeSet::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not NAME=value: {line}"));
        assert!(!value.is_empty(), "{name} has no value");
        assert!(set.insert(name.to_string()), "{name} twice");
    }
    assert_sets("deploy/akamai/variables.example.env", &set);
    let script = read("deploy/akamai/deploy.sh");
    assert!(
        script.contains("spin aka deploy"),
        "the script deploys with spin aka deploy"
    );
}

#[test]
fn the_runtime_config_is_a_variables_provider_spin_knows() {
    let config: toml::Value =
        toml::from_str(&read("deploy/spin/runtime-config.vault.toml")).expect("TOML");
    let providers = config["variables_provider"]
        .as_array()
        .expect("[[variables_provider]]");
    assert_eq!(providers.len(), 1);
    let vault = providers[0].as_table().unwrap();
    assert_eq!(vault["type"].as_str(), Some("vault"));
    let keys: BTreeSet<&str> = vault.keys().map(String::as_str).collect();
    // The fields Spin's Vault provider takes (it refuses unknown ones).
    let known: BTreeSet<&str> = ["type", "url", "token", "mount", "prefix"].into();
    assert!(keys.is_subset(&known), "{keys:?}");
    for required in ["url", "token", "mount"] {
        assert!(keys.contains(required), "{required}");
    }
}

#[test]
fn the_deployment_guide_names_files_that_exist() {
    let guide = read("docs/deploy.md");
    for word in guide.split(|c: char| c == '`' || c.is_whitespace()) {
        if word.starts_with("deploy/") && !word.ends_with("variables.env") && !word.contains('…')
        {
            assert!(
                e2e::repo_root().join(word).exists(),
                "docs/deploy.md names {word}, which is not there"
            );
        }
    }
}
