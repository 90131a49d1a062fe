//! The README's curl walk-through (the `sh` blocks between
//! `<!-- walkthrough -->` and `<!-- /walkthrough -->`) runs as written,
//! top to bottom, against a host of its own on a fresh database — the
//! first superadmin included — so no example in it can go stale.

/// The walk-through's shell, as a newcomer pastes it.
fn walkthrough() -> String {
    let readme = std::fs::read_to_string(e2e::repo_root().join("README.md")).unwrap();
    let start = readme
        .find("<!-- walkthrough -->")
        .expect("the walk-through's start");
    let end = readme.find("<!-- /walkthrough -->").expect("its end");
    let mut script = String::new();
    let mut in_block = false;
    for line in readme[start..end].lines() {
        match line.trim_end() {
            "```sh" => in_block = true,
            "```" => in_block = false,
            code if in_block => {
                script.push_str(code);
                script.push('\n');
            }
            _ => {}
        }
    }
    assert!(
        script.lines().count() > 50,
        "the walk-through was not found whole"
    );
    script
}

/// Output fit to print: every JSON string that is a token (a JWT, or 43 or
/// 96 characters of base64url: proofs, refresh tokens) replaced.
fn shown(output: &[u8]) -> String {
    let text = String::from_utf8_lossy(output);
    text.split('"')
        .map(|part| {
            let opaque = (part.len() == 43 || part.len() == 96)
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if part.starts_with("eyJ") || opaque {
                "<redacted>"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("\"")
}

#[test]
fn every_example_answers_as_the_readme_says() {
    let (owner, service) = e2e::fresh_database("readme");
    // As ./run.sh serves it: superadmins need a second factor.
    let host = e2e::OwnHost::start(&[
        ("SPIN_VARIABLE_DB_URL", service),
        (
            "SPIN_VARIABLE_MFA_REQUIRED_ROLES",
            "superadmin,manager".to_string(),
        ),
    ]);
    let ran = std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &walkthrough()])
        .current_dir(e2e::repo_root())
        .env("BASE", format!("{}/api/v1", host.base))
        .env("LOG", host.component_log_path("stderr"))
        .env("AUTH_DB_ADMIN_URL", owner)
        .output()
        .expect("bash runs");
    let (stdout, stderr) = (shown(&ran.stdout), shown(&ran.stderr));
    assert!(
        ran.status.success(),
        "the walk-through stopped ({}):\n{stdout}\n--- stderr:\n{stderr}",
        ran.status
    );
    // A few answers a reader is told to expect.
    for expected in [
        r#"{"status":"ok"}"#,
        r#""available":true"#,
        r#""token_type":"bearer""#,
        r#""is_head":true"#,
        r#"{"status":"invited_if_eligible"}"#,
        r#""is_active":false"#,
        "create-superadmin: created admin",
        "403\n",
        r#""recovery_codes":["#,
        "Auth service",
        "200 text/html",
    ] {
        assert!(stdout.contains(expected), "no {expected} in:\n{stdout}");
    }
}

/// The README's Configuration section names every variable `spin.toml`
/// declares, so an operator reading it misses none.
#[test]
fn the_configuration_section_names_every_variable() {
    let readme = std::fs::read_to_string(e2e::repo_root().join("README.md")).unwrap();
    let start = readme
        .find("## Configuration")
        .expect("a Configuration section");
    let section = &readme[start..];
    let section = &section[..section[3..]
        .find("\n## ")
        .map_or(section.len(), |end| end + 3)];
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(e2e::repo_root().join("spin.toml")).unwrap())
            .unwrap();
    let missing: Vec<&String> = manifest["variables"]
        .as_table()
        .unwrap()
        .keys()
        .filter(|name| !section.contains(&format!("`{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "the README's Configuration does not name {missing:?}"
    );
}
