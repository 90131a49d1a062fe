//! `sql/migrate` applies the migrations to any database URL, recorded with
//! checksums; running it again changes nothing, and an edited migration that
//! was already applied is refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf()
}

fn migrate(sql_dir: &Path, url: &str) -> Output {
    Command::new(sql_dir.join("migrate"))
        .arg(url)
        .output()
        .expect("sql/migrate runs")
}

fn schema_dump(url: &str) -> String {
    let out = Command::new("pg_dump")
        .args(["--schema-only", "--no-owner", url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // pg_dump marks each dump with a random \restrict key; the rest is the schema.
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn running_twice_changes_nothing() {
    let url = e2e::empty_database("migrate");
    let first = migrate(&repo().join("sql"), &url);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let before = schema_dump(&url);
    let versions = |url: &str| -> Vec<(String, String)> {
        postgres::Client::connect(url, postgres::NoTls)
            .unwrap()
            .query(
                "SELECT version, checksum FROM public.schema_migrations ORDER BY version",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    };
    let recorded = versions(&url);
    let files = std::fs::read_dir(repo().join("sql/migrations"))
        .unwrap()
        .count();
    assert_eq!(recorded.len(), files, "every migration recorded");
    assert!(
        recorded.iter().all(|(_, sum)| sum.len() == 64),
        "SHA-256 checksums"
    );

    let second = migrate(&repo().join("sql"), &url);
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout)
        .contains("(0 migrations and 0 function files applied now)"));
    assert!(
        schema_dump(&url) == before,
        "the second run changed the schema"
    );
    assert_eq!(versions(&url), recorded);
}

#[test]
fn an_edited_applied_migration_is_refused() {
    // A copy of sql/ in which an applied migration is then edited.
    let copy = std::env::temp_dir().join(format!("sql-copy-{}", e2e::unique_number()));
    std::fs::create_dir_all(copy.join("migrations")).unwrap();
    std::fs::copy(repo().join("sql/migrate"), copy.join("migrate")).unwrap();
    for entry in std::fs::read_dir(repo().join("sql/migrations")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(
            entry.path(),
            copy.join("migrations").join(entry.file_name()),
        )
        .unwrap();
    }
    let url = e2e::empty_database("migrate");
    assert!(migrate(&copy, &url).status.success());

    let edited = copy.join("migrations/0004_seed_groups_grants_interfaces.sql");
    let mut text = std::fs::read_to_string(&edited).unwrap();
    text.push_str("\n-- an edit after the fact\n");
    std::fs::write(&edited, text).unwrap();
    let out = migrate(&copy, &url);
    std::fs::remove_dir_all(&copy).ok();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("was changed after it was applied"));
}
