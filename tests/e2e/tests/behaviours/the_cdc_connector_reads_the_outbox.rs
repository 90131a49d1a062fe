//! The Debezium connector configuration in `docs/` is a working one for this
//! database: it reads `auth.outbox` through the outbox event router, and
//! every column it names exists, with the meaning `docs/events.md` gives.

use e2e::admin_db;
use serde_json::Value;

fn connector() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/debezium-outbox-connector.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).expect("valid JSON")
}

#[test]
fn the_connector_names_real_outbox_columns() {
    let config = &connector()["config"];
    assert_eq!(
        config["connector.class"],
        "io.debezium.connector.postgresql.PostgresConnector"
    );
    assert_eq!(config["table.include.list"], "auth.outbox");
    assert_eq!(config["transforms"], "outbox");
    assert_eq!(
        config["transforms.outbox.type"],
        "io.debezium.transforms.outbox.EventRouter"
    );
    let columns: Vec<String> = admin_db()
        .query(
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = 'auth' AND table_name = 'outbox'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for (setting, column) in [
        ("transforms.outbox.table.field.event.id", "event_id"),
        ("transforms.outbox.table.field.event.key", "aggregate_id"),
        ("transforms.outbox.table.field.event.type", "event_type"),
        ("transforms.outbox.table.field.event.payload", "payload"),
        (
            "transforms.outbox.table.field.event.timestamp",
            "created_at",
        ),
        ("transforms.outbox.route.by.field", "event_type"),
    ] {
        assert_eq!(config[setting], column, "{setting}");
        assert!(
            columns.contains(&column.to_string()),
            "auth.outbox has no {column}"
        );
    }
    let placement = config["transforms.outbox.table.fields.additional.placement"]
        .as_str()
        .unwrap();
    for field in placement.split(',') {
        let column = field.split(':').next().unwrap();
        assert!(columns.contains(&column.to_string()), "{column}");
    }
}

#[test]
fn the_connector_holds_no_password() {
    let config = &connector()["config"];
    let password = config["database.password"].as_str().unwrap();
    assert!(
        password.starts_with("${file:"),
        "the password comes from a config provider, not this file"
    );
}
