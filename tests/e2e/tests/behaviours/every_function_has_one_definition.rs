//! Every stored function has exactly one current definition, in
//! sql/functions/<schema>.<name>.sql with its COMMENT and GRANT; no versioned
//! migration after the restructuring defines one; the database holds exactly
//! those functions, one signature each.

use std::collections::BTreeSet;

const RESTRUCTURED_AT: u32 = 22;

#[test]
fn no_versioned_migration_after_the_restructuring_defines_a_function() {
    let dir = e2e::repo_root().join("sql/migrations");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let number: u32 = name[..4].parse().unwrap();
        if number < RESTRUCTURED_AT {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap().to_uppercase();
        assert!(
            !text.contains("CREATE FUNCTION"),
            "{name} defines a function"
        );
        assert!(
            !text.contains("CREATE OR REPLACE FUNCTION"),
            "{name} defines a function"
        );
    }
}

#[test]
fn each_function_in_the_database_has_exactly_one_file_and_one_signature() {
    let dir = e2e::repo_root().join("sql/functions");
    let mut files = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let function = name
            .strip_suffix(".sql")
            .expect("only .sql files")
            .to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text.matches("CREATE OR REPLACE FUNCTION").count(),
            1,
            "{name} defines one function"
        );
        assert!(
            text.contains(&format!("CREATE OR REPLACE FUNCTION {function}(")),
            "{name} defines {function}"
        );
        assert!(
            text.contains("COMMENT ON FUNCTION"),
            "{name} has its comment"
        );
        files.insert(function);
    }
    let mut db = e2e::admin_db();
    let rows = db
        .query(
            "SELECT n.nspname || '.' || p.proname, count(*)
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname IN ('auth', 'accounts') GROUP BY 1 ORDER BY 1",
            &[],
        )
        .unwrap();
    let mut in_database = BTreeSet::new();
    for row in rows {
        let (name, signatures): (String, i64) = (row.get(0), row.get(1));
        assert_eq!(signatures, 1, "{name} has {signatures} signatures");
        in_database.insert(name);
    }
    assert_eq!(in_database, files);
}
