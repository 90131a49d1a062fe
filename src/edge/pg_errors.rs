//! What a PostgreSQL error means for a request, from what Spin hands the
//! component: a SQLSTATE in `db-error`, or only a debug rendering in
//! `query-error::text` (an error that arrived while the rows were read, and
//! tokio-postgres' own errors such as a closed connection). Of that text only
//! the SQLSTATE and the driver's error kind are read, never a message, a
//! detail or a value.

/// The SQLSTATE in a rendering: tokio-postgres' `SqlState(E55P03)` (its
/// `Debug`, as Spin 4's p2 host and the test host pass it), Spin 4's own
/// `code: "55P03"` (a `db-error` flattened to text), or, where Spin hands
/// over only the error's message (Spin 3.x renders it through `anyhow`:
/// `db error … ERROR: canceling statement due to lock timeout`), one of
/// the few messages of `MESSAGES`.
pub fn sqlstate_in(text: &str) -> Option<&str> {
    ["SqlState(E", "code: \""]
        .iter()
        .find_map(|marker| {
            let at = text.find(marker)? + marker.len();
            let code = text.get(at..at + 5)?;
            code.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
                .then_some(code)
        })
        .or_else(|| {
            MESSAGES
                .iter()
                .find(|(message, _)| text.contains(message))
                .map(|(_, code)| *code)
        })
}

/// PostgreSQL's own messages for the conditions this service answers 503,
/// with their SQLSTATEs, for hosts that pass on the message only (Spin 3.x).
/// They are PostgreSQL's English messages: under another `lc_messages` such
/// a host's errors stay unrecognized (500).
const MESSAGES: &[(&str, &str)] = &[
    ("canceling statement due to lock timeout", "55P03"),
    ("canceling statement due to statement timeout", "57014"),
    (
        "terminating connection due to administrator command",
        "57P01",
    ),
    (
        "terminating connection due to idle-in-transaction timeout",
        "25P03",
    ),
    (
        "terminating connection due to idle-session timeout",
        "57P05",
    ),
    (
        "terminating connection because of crash of another server process",
        "57P02",
    ),
    ("the database system is shutting down", "57P03"),
    ("the database system is starting up", "57P03"),
];

/// Whether the rendering is of tokio-postgres' "the connection is gone"
/// (`Closed`, or an I/O error on its socket), as its `Debug` or its
/// `Display` says it.
pub fn says_closed(text: &str) -> bool {
    [
        "kind: Closed",
        "kind: Io",
        "connection closed",
        "error communicating with the server",
    ]
    .iter()
    .any(|sign| text.contains(sign))
}

/// SQLSTATEs of a connection the server ended: connection exceptions (class
/// 08), the server shutting down or restarting or the session terminated
/// (57P01–57P03: a restart, `pg_terminate_backend`, a failover), and the
/// idle timeouts (25P03 in a transaction, 57P05 outside one).
pub fn means_lost(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "57P05" | "25P03")
}

/// SQLSTATEs of "not now, try again" on a connection that is still there:
/// too many connections (53300), and the service role's own limits
/// (migration 0030): a lock waited for too long (55P03, `lock_timeout`), a
/// statement ran too long (57014, `statement_timeout`).
pub fn means_unavailable(code: &str) -> bool {
    matches!(code, "53300" | "55P03" | "57014")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sqlstate_is_read_from_either_rendering() {
        // tokio-postgres' Debug, as Spin's p2 host and the test host pass it.
        let lock = r#"Error { kind: Db, cause: Some(DbError { severity: "ERROR", parsed_severity: Some(Error), code: SqlState(E55P03), message: "canceling statement due to lock timeout" }) }"#;
        assert_eq!(sqlstate_in(lock), Some("55P03"));
        // Spin's own `db-error`, flattened to text.
        let statement = r#"QueryFailed(DbError(DbError { as_text: "", severity: "ERROR", code: "57014", message: "canceling statement due to statement timeout" }))"#;
        assert_eq!(sqlstate_in(statement), Some("57014"));
        assert_eq!(sqlstate_in("Error { kind: Closed, cause: None }"), None);
        assert_eq!(sqlstate_in("code: \"5"), None);
        // Spin 3.x: `anyhow`'s rendering of tokio-postgres' error, the
        // message only.
        let spin3 = |message: &str| format!("db error\n\nCaused by:\n    {message}");
        let lock = spin3("ERROR: canceling statement due to lock timeout");
        assert_eq!(sqlstate_in(&lock), Some("55P03"));
        let statement = spin3("ERROR: canceling statement due to statement timeout");
        assert_eq!(sqlstate_in(&statement), Some("57014"));
        let terminated = spin3("FATAL: terminating connection due to administrator command");
        assert_eq!(sqlstate_in(&terminated), Some("57P01"));
        assert_eq!(sqlstate_in(&spin3("ERROR: duplicate key value")), None);
    }

    #[test]
    fn a_connection_the_server_ended_is_lost() {
        assert!(says_closed("Error { kind: Closed, cause: None }"));
        assert!(says_closed(
            "Error { kind: Io, cause: Some(Os { code: 104 }) }"
        ));
        assert!(says_closed("connection closed"));
        assert!(says_closed(
            "error communicating with the server\n\nCaused by:\n    Connection reset by peer"
        ));
        assert!(!says_closed(
            r#"Error { kind: Db, cause: Some(DbError { code: SqlState(E23505) }) }"#
        ));
        for code in ["08006", "57P01", "57P02", "57P03", "57P05", "25P03"] {
            assert!(means_lost(code), "{code}");
        }
    }

    #[test]
    fn the_roles_timeouts_are_to_retry_and_a_functions_own_error_is_not() {
        for code in ["55P03", "57014", "53300"] {
            assert!(means_unavailable(code) && !means_lost(code), "{code}");
        }
        for code in ["23505", "42883", "P0001", "40P01"] {
            assert!(!means_unavailable(code) && !means_lost(code), "{code}");
        }
    }
}
