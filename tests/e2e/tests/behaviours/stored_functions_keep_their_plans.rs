//! Every stored function keeps its plans for the life of the pooled
//! connection: PostgreSQL keeps no plan for a LANGUAGE sql function that
//! cannot be inlined (ours pin their search_path, so none can) and parses
//! and plans it again in every statement that calls it; PL/pgSQL plans once
//! per connection (migration 0021).

use e2e::admin_db;

#[test]
fn every_function_is_plpgsql() {
    let in_sql: Vec<String> = admin_db()
        .query(
            "SELECT p.oid::regprocedure::text
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             JOIN pg_language l ON l.oid = p.prolang
             WHERE n.nspname IN ('accounts', 'auth') AND l.lanname <> 'plpgsql'
             ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        in_sql.is_empty(),
        "functions that would be planned again on every call: {in_sql:?}"
    );
}
