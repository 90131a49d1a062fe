//! The role the component connects as may call the API functions and nothing
//! else: every table refuses it, and so do the internal functions.

use e2e::{admin_db, service_db};

fn tables() -> Vec<String> {
    admin_db()
        .query(
            "SELECT schemaname || '.' || tablename FROM pg_tables
             WHERE schemaname IN ('accounts', 'auth') ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn refused(sql: &str) -> bool {
    match service_db().batch_execute(sql) {
        Ok(()) => false,
        Err(e) => e.code().map(|c| c.code()) == Some("42501"),
    }
}

#[test]
fn select_on_every_table_is_refused() {
    let tables = tables();
    assert!(
        tables.len() >= 10,
        "expected the schema's tables, found {tables:?}"
    );
    for table in tables {
        assert!(
            refused(&format!("SELECT * FROM {table} LIMIT 1")),
            "SELECT on {table} allowed"
        );
        assert!(
            refused(&format!("DELETE FROM {table}")),
            "DELETE on {table} allowed"
        );
    }
}

#[test]
fn internal_functions_are_refused_and_api_functions_allowed() {
    assert!(refused(
        "SELECT accounts.try_create_user('x', '+79120000000', NULL, NULL, '{}', '{customer}', NULL)"
    ));
    assert!(refused("SELECT accounts.user_roles(gen_random_uuid())"));
    let found = service_db()
        .query_one(
            "SELECT auth.find_credentials('second_login', 'nobody-at-all')",
            &[],
        )
        .expect("the service may call the API functions");
    assert!(found.get::<_, Option<serde_json::Value>>(0).is_none());
}

#[test]
fn api_functions_run_as_their_owner_with_a_pinned_search_path() {
    let rows = admin_db()
        .query(
            "SELECT p.oid::regprocedure::text, p.prosecdef, pg_get_userbyid(p.proowner),
                    coalesce(array_to_string(p.proconfig, ','), ''),
                    obj_description(p.oid, 'pg_proc') IS NOT NULL
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname IN ('accounts', 'auth')",
            &[],
        )
        .unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let name: String = row.get(0);
        assert_eq!(row.get::<_, String>(2), "auth_owner", "{name} owner");
        assert!(
            row.get::<_, String>(3)
                .contains("search_path=pg_catalog, pg_temp"),
            "{name} search_path"
        );
        assert!(row.get::<_, bool>(4), "{name} has no COMMENT");
        let executable_by_service: bool = admin_db()
            .query_one(
                "SELECT has_function_privilege('auth_service', $1::text::regprocedure, 'EXECUTE')",
                &[&name],
            )
            .unwrap()
            .get(0);
        if executable_by_service {
            assert!(
                row.get::<_, bool>(1),
                "{name} is callable by the service, so it must be SECURITY DEFINER"
            );
        }
    }
}
