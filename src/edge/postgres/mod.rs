//! The store over PostgreSQL stored functions, through Spin's
//! `spin:postgres/postgres@4.x`. A request uses one connection, opened on
//! first use or kept from an earlier request of the same instance
//! (`edge::kept`); each request makes as few calls as its flow allows
//! (register: one).
//! Every outcome a client can cause comes back from a function as a jsonb
//! value tagged `outcome`, read into the core's enums: under Spin, an error a
//! function raises reaches us only as text (see `store_error`).
//!
//! A connection never hands a transaction on. The component cannot close a
//! connection: `spin:postgres@4.x` has no close, and dropping a `Connection`
//! gives its client back to Spin's pool (spinframework/spin,
//! crates/factor-outbound-pg/src/client.rs: deadpool-postgres, 64 clients
//! per address, `RecyclingMethod::Clean`, whose `RESET ALL` … `DISCARD
//! SEQUENCES` succeed inside an open transaction and roll nothing back). So
//! `in_transaction` is set before `BEGIN` is sent; a transaction this request
//! leaves (a call given up on, a failed `COMMIT`) gets a `ROLLBACK` on a
//! deadline of its own, not through the `gave_up` gate; a connection whose
//! transaction did not end cleanly never waits in `edge::kept`; and the
//! service's role has `lock_timeout`, `statement_timeout` and
//! `idle_in_transaction_session_timeout` below the call timeout (migration
//! 0030), so PostgreSQL itself ends what the component had to let go: an
//! aborted transaction fails the pool's `Clean` recycling and a terminated
//! session is closed, and the pool discards both.

mod account;
mod administration;
mod organizations;
mod phone_codes;
mod probes;
mod recovery;
mod registration;
mod second_factor;
mod sessions;
mod sign_in;

use crate::core::config::Config;
use crate::core::ports::{Caller, NewSession, StoreError, Transactions, UserSessionsEnded};
use crate::edge::host::{pg_call_timed_out, DbValue, ParameterValue, PgError, PgLink, QueryError};
use crate::edge::{kept, pg_errors};
use serde::de::DeserializeOwned;

pub struct PgStore<'a> {
    config: &'a Config,
    link: Option<Link>,
    /// A call of this request got no answer in time (p3): the rest of the
    /// request does not wait for the database again.
    gave_up: bool,
}

/// The connection a store uses, and what it has seen.
struct Link {
    connection: PgLink,
    /// Kept from an earlier request, and not yet used by this one: it may
    /// have been closed by the server while it waited.
    from_earlier_request: bool,
    in_transaction: bool,
    failed: bool,
}

/// Whether a statement may run once more on a new connection when its own
/// was lost: a read (a `STABLE` function) may; a write only where it cannot
/// have reached the server (see `rows`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Retry {
    Read,
    Write,
}

impl<'a> PgStore<'a> {
    /// Connects (and reads `db_url`) only when first asked a question.
    pub fn new(config: &'a Config) -> Self {
        PgStore {
            config,
            link: None,
            gave_up: false,
        }
    }

    async fn link(&mut self) -> Result<&mut Link, StoreError> {
        if self.gave_up {
            return Err(StoreError::Unavailable);
        }
        if self.link.is_none() {
            let link = match kept::take_pg() {
                Some(connection) => Link::new(connection, true),
                None => Link::new(self.open().await?, false),
            };
            self.link = Some(link);
        }
        Ok(self.link.as_mut().expect("set above"))
    }

    async fn open(&mut self) -> Result<PgLink, StoreError> {
        let url = self.config.db_url().map_err(StoreError::Misconfigured)?;
        PgLink::open(url.expose()).await.map_err(|e| {
            eprintln!("database connection failed: {}", describe(&e));
            self.gave_up |= pg_call_timed_out(&e);
            StoreError::Unavailable
        })
    }

    /// Runs one statement. If its connection turns out lost (closed by the
    /// server: a restart, `pg_terminate_backend`, a failover), the statement
    /// runs once more on a new connection where that is safe: outside a
    /// transaction, and when it cannot have done anything (a read), or its
    /// connection was kept from an earlier request and this is its first
    /// use (a kept connection the server closed while it waited fails
    /// before the statement reaches the server).
    async fn rows(
        &mut self,
        statement: &str,
        params: &[ParameterValue],
        retry: Retry,
    ) -> Result<Vec<Vec<DbValue>>, StoreError> {
        let link = self.link().await?;
        let reused = std::mem::replace(&mut link.from_earlier_request, false);
        let again = !link.in_transaction && (reused || retry == Retry::Read);
        let mut answer = link.connection.query(statement, params).await;
        if let Err(e) = &answer {
            if again && is_connection_lost(e) && !pg_call_timed_out(e) {
                self.reconnect(reused).await?;
                let link = self.link.as_mut().expect("set by reconnect");
                answer = link.connection.query(statement, params).await;
            }
        }
        answer.map_err(|e| self.failed(statement, e))
    }

    /// A new connection in place of one the server closed. When the lost
    /// one was kept from an earlier request, so were the instance's other
    /// idle ones, and after a restart they are all closed: they go too (to
    /// Spin's pool, whose recycling drops the closed ones).
    async fn reconnect(&mut self, lost_one_was_kept: bool) -> Result<(), StoreError> {
        let in_transaction = self.link.as_ref().is_some_and(|l| l.in_transaction);
        self.link = None;
        if lost_one_was_kept {
            kept::forget_pg();
        }
        let mut link = Link::new(self.open().await?, false);
        link.in_transaction = in_transaction;
        self.link = Some(link);
        Ok(())
    }

    /// A statement failed: its connection is not kept, and after a call
    /// given up on, the request does not wait for the database again.
    fn failed(&mut self, statement: &str, e: PgError) -> StoreError {
        if let Some(link) = self.link.as_mut() {
            link.failed = true;
        }
        self.gave_up |= pg_call_timed_out(&e);
        store_error(statement, e)
    }

    /// Calls a function that always answers one jsonb value (an outcome).
    async fn outcome<T: DeserializeOwned>(
        &mut self,
        sql: &str,
        params: &[ParameterValue],
    ) -> Result<T, StoreError> {
        self.jsonb(sql, params, Retry::Write)
            .await?
            .ok_or_else(|| StoreError::Failed(format!("{sql}: answered NULL")))
    }

    /// Calls a function that only reads (`STABLE`) and returns one jsonb
    /// value (or NULL): tried once more on a new connection if its own was
    /// lost.
    async fn read<T: DeserializeOwned>(
        &mut self,
        sql: &str,
        params: &[ParameterValue],
    ) -> Result<Option<T>, StoreError> {
        self.jsonb(sql, params, Retry::Read).await
    }

    /// `outcome` for a function that only reads (`STABLE`).
    async fn read_outcome<T: DeserializeOwned>(
        &mut self,
        sql: &str,
        params: &[ParameterValue],
    ) -> Result<T, StoreError> {
        self.jsonb(sql, params, Retry::Read)
            .await?
            .ok_or_else(|| StoreError::Failed(format!("{sql}: answered NULL")))
    }

    /// Calls a function that returns one jsonb value (or NULL).
    async fn jsonb<T: DeserializeOwned>(
        &mut self,
        sql: &str,
        params: &[ParameterValue],
        retry: Retry,
    ) -> Result<Option<T>, StoreError> {
        let rows = self.rows(sql, params, retry).await?;
        let Some(value) = rows.first().and_then(|r| r.first()) else {
            return Ok(None);
        };
        match value {
            DbValue::DbNull => Ok(None),
            DbValue::Jsonb(bytes) => serde_json::from_slice(bytes)
                .map(Some)
                // Where and what kind of mismatch, never serde's message: it
                // may quote a value of the row.
                .map_err(|e| {
                    StoreError::Failed(format!(
                        "{sql}: unexpected result shape ({:?} at column {})",
                        e.classify(),
                        e.column()
                    ))
                }),
            other => Err(unexpected(sql, "jsonb", Some(other))),
        }
    }

    /// Ends the transaction this request may have open, with a `ROLLBACK`
    /// on a deadline of its own: also after a call given up on, when the
    /// request asks the database nothing else. A connection it cannot clean
    /// so is not kept; it goes back to Spin's pool (the WIT interface has no
    /// way to close it), where PostgreSQL's own timeouts on the service role
    /// end the transaction (migration 0030) and the pool then discards it.
    async fn end_transaction(&mut self) {
        let Some(link) = self.link.as_mut() else {
            return;
        };
        if !link.in_transaction {
            return;
        }
        match link.connection.roll_back().await {
            Ok(()) => link.in_transaction = false,
            Err(e) => {
                link.failed = true;
                eprintln!("rollback failed: {}", describe(&e));
            }
        }
    }
}

impl Link {
    fn new(connection: PgLink, from_earlier_request: bool) -> Link {
        Link {
            connection,
            from_earlier_request,
            in_transaction: false,
            failed: false,
        }
    }
}

/// A connection in a known clean state waits for the next request; any
/// other goes back to Spin's pool (see the module's documentation).
impl Drop for PgStore<'_> {
    fn drop(&mut self) {
        if let Some(link) = self.link.take() {
            if !link.failed && !link.in_transaction {
                kept::keep_pg(link.connection);
            }
        }
    }
}

fn text(s: &str) -> ParameterValue {
    ParameterValue::Str(s.to_string())
}

/// An id the core has already parsed as a UUID.
fn uuid(id: &str) -> ParameterValue {
    ParameterValue::Uuid(id.to_string())
}

fn optional_text(s: Option<&str>) -> ParameterValue {
    s.map(text).unwrap_or(ParameterValue::DbNull)
}

fn session_params(session: &NewSession<'_>) -> [ParameterValue; 5] {
    [
        ParameterValue::Binary(session.refresh_seed.0.to_vec()),
        ParameterValue::Int32(session.ttl_seconds as i32),
        ParameterValue::Int32(session.max_sessions as i32),
        optional_text(session.client.user_agent.as_deref()),
        optional_text(session.client.ip.as_deref()),
    ]
}

/// Bytes as lower-case hex: how digests travel inside a jsonb parameter
/// (Spin's parameters have no array of bytea).
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An email's verification link: (SHA-256 of its token, lifetime), NULL
/// for none.
fn email_link_params(link: Option<&crate::core::ports::NewEmailLink<'_>>) -> [ParameterValue; 2] {
    match link {
        Some(link) => [
            ParameterValue::Binary(link.token_hash.to_vec()),
            ParameterValue::Int32(link.ttl_seconds as i32),
        ],
        None => [ParameterValue::DbNull, ParameterValue::DbNull],
    }
}

fn text_array(items: &[String]) -> ParameterValue {
    ParameterValue::ArrayStr(items.iter().map(|i| Some(i.clone())).collect())
}

impl Transactions for PgStore<'_> {
    /// Marked in a transaction before `BEGIN` is sent: a `BEGIN` given up on
    /// may still open one. On a lost connection no transaction was open, so
    /// `BEGIN` is tried once more on a new one.
    async fn begin(&mut self) -> Result<(), StoreError> {
        let link = self.link().await?;
        let reused = std::mem::replace(&mut link.from_earlier_request, false);
        link.in_transaction = true;
        let mut answer = link.connection.execute("BEGIN").await;
        if let Err(e) = &answer {
            if is_connection_lost(e) && !pg_call_timed_out(e) {
                self.reconnect(reused).await?;
                let link = self.link.as_mut().expect("set by reconnect");
                answer = link.connection.execute("BEGIN").await;
            }
        }
        match answer {
            Ok(()) => Ok(()),
            Err(e) => {
                let lost = is_connection_lost(&e) && !pg_call_timed_out(&e);
                let error = self.failed("BEGIN", e);
                if !lost {
                    self.end_transaction().await;
                }
                Err(error)
            }
        }
    }

    /// A `COMMIT` that did not answer may or may not have committed: either
    /// way the connection is left with no transaction open (a `ROLLBACK`
    /// after a `COMMIT` that went through changes nothing).
    async fn commit(&mut self) -> Result<(), StoreError> {
        if self.gave_up {
            self.end_transaction().await;
            return Err(StoreError::Unavailable);
        }
        let link = self.link().await?;
        let answer = link.connection.execute("COMMIT").await;
        match answer {
            Ok(()) => {
                link.in_transaction = false;
                Ok(())
            }
            Err(e) => {
                let error = self.failed("COMMIT", e);
                self.end_transaction().await;
                Err(error)
            }
        }
    }

    async fn rollback(&mut self) {
        self.end_transaction().await
    }

    async fn sessions_ended_now(&mut self) -> Result<Vec<String>, StoreError> {
        self.outcome("SELECT auth.sessions_ended_now()", &[]).await
    }

    async fn users_ended_now(&mut self) -> Result<Vec<UserSessionsEnded>, StoreError> {
        self.outcome("SELECT auth.users_ended_now()", &[]).await
    }

    async fn mark_published(&mut self, event_ids: &[String]) -> Result<(), StoreError> {
        let ids = ParameterValue::ArrayStr(event_ids.iter().map(|id| Some(id.clone())).collect());
        self.scalar_int("SELECT auth.mark_published($1::text[]::uuid[])", &[ids])
            .await
            .map(|_| ())
    }

    async fn mark_unpublished(&mut self, event_ids: &[String]) -> Result<(), StoreError> {
        let ids = ParameterValue::ArrayStr(event_ids.iter().map(|id| Some(id.clone())).collect());
        self.scalar_int("SELECT auth.mark_unpublished($1::text[]::uuid[])", &[ids])
            .await
            .map(|_| ())
    }
}

fn caller_params(caller: &Caller<'_>) -> [ParameterValue; 2] {
    [
        ParameterValue::Uuid(caller.user_id.to_string()),
        ParameterValue::Uuid(caller.session_id.to_string()),
    ]
}

impl PgStore<'_> {
    /// The single integer a function returns.
    async fn scalar_int(
        &mut self,
        sql: &str,
        params: &[ParameterValue],
    ) -> Result<i32, StoreError> {
        let rows = self.rows(sql, params, Retry::Write).await?;
        match rows.first().and_then(|r| r.first()) {
            Some(DbValue::Int32(n)) => Ok(*n),
            other => Err(unexpected(sql, "integer", other)),
        }
    }

    /// The single boolean a function returns.
    async fn call_bool(
        &mut self,
        sql: &str,
        params: &[ParameterValue],
    ) -> Result<bool, StoreError> {
        self.boolean(sql, params, Retry::Write).await
    }

    /// `call_bool` for a function that only reads (`STABLE`).
    async fn read_bool(
        &mut self,
        sql: &str,
        params: &[ParameterValue],
    ) -> Result<bool, StoreError> {
        self.boolean(sql, params, Retry::Read).await
    }

    async fn boolean(
        &mut self,
        sql: &str,
        params: &[ParameterValue],
        retry: Retry,
    ) -> Result<bool, StoreError> {
        let rows = self.rows(sql, params, retry).await?;
        match rows.first().and_then(|r| r.first()) {
            Some(DbValue::Boolean(b)) => Ok(*b),
            other => Err(unexpected(sql, "boolean", other)),
        }
    }
}

/// A result of another type than the function's: the kind of value only
/// (its `Debug` would print the value itself).
fn unexpected(sql: &str, expected: &str, got: Option<&DbValue>) -> StoreError {
    let got = match got {
        None => "no row",
        Some(DbValue::DbNull) => "NULL",
        Some(DbValue::Jsonb(_)) => "jsonb",
        Some(DbValue::Boolean(_)) => "boolean",
        Some(DbValue::Int32(_)) => "integer",
        Some(DbValue::Str(_)) => "text",
        Some(_) => "another type",
    };
    StoreError::Failed(format!("{sql}: expected {expected}, got {got}"))
}

/// What a failed call means for the client: the database cannot be reached
/// or cannot serve it now (503, to retry), or something unexpected happened
/// (500). Expected outcomes never arrive here. Under Spin's p2 interface an
/// error raised while the rows are read (which is where a function's own
/// errors surface) arrives only as `query-error::text`, a rendering of which
/// `edge::pg_errors` reads only what says "lost" or "not now" (a SQLSTATE,
/// the driver's error kind, a few of PostgreSQL's own messages), never a
/// detail or a value.
fn store_error(statement: &str, e: PgError) -> StoreError {
    if is_unavailable(&e) {
        eprintln!("{statement}: database unavailable ({})", describe(&e));
        return StoreError::Unavailable;
    }
    match &e {
        // The SQLSTATE only: message and DETAIL may quote row values. The
        // HTTP edge logs it once, with the request id (`audit::failure`).
        PgError::QueryFailed(QueryError::DbError(db)) => {
            StoreError::Failed(format!("{statement}: SQLSTATE {}", db.code))
        }
        // Not quoted: it may hold row values. PostgreSQL's own log has it.
        PgError::QueryFailed(QueryError::Text(text)) => StoreError::Failed(format!(
            "{statement}: failed while its result was read{} (see the PostgreSQL log)",
            pg_errors::sqlstate_in(text)
                .map(|code| format!(", SQLSTATE {code}"))
                .unwrap_or_default()
        )),
        _ => StoreError::Failed(format!("{statement}: {}", describe(&e))),
    }
}

/// The connection itself is gone (not a failure of the statement): it
/// could not be opened, the server closed it (a restart,
/// `pg_terminate_backend`, a failover, `idle_in_transaction_session_timeout`)
/// or the call was given up on.
fn is_connection_lost(e: &PgError) -> bool {
    match e {
        PgError::ConnectionFailed(_) => true,
        PgError::QueryFailed(QueryError::Text(text)) if pg_errors::says_closed(text) => true,
        PgError::QueryFailed(_) => sqlstate(e).is_some_and(pg_errors::means_lost),
        _ => false,
    }
}

/// "Not now, try again" (503): the connection is lost, or the database
/// cannot serve the statement now (`pg_errors::means_unavailable`: the
/// service role's own timeouts, too many connections).
fn is_unavailable(e: &PgError) -> bool {
    is_connection_lost(e) || sqlstate(e).is_some_and(pg_errors::means_unavailable)
}

/// The SQLSTATE of a database error: from `db-error`, or read from the
/// debug rendering of `query-error::text`.
fn sqlstate(e: &PgError) -> Option<&str> {
    match e {
        PgError::QueryFailed(QueryError::DbError(db)) => Some(db.code.as_str()),
        PgError::QueryFailed(QueryError::Text(text)) => pg_errors::sqlstate_in(text),
        _ => None,
    }
}

/// A log line for a driver error that leaves out the connection string.
fn describe(e: &PgError) -> String {
    match e {
        PgError::ConnectionFailed(_) if pg_call_timed_out(e) => "no answer in time".into(),
        PgError::ConnectionFailed(_) => "connection failed".into(),
        PgError::BadParameter(m) | PgError::ValueConversionFailed(m) => {
            format!("bad parameter: {m}")
        }
        PgError::QueryFailed(QueryError::Text(_)) => match sqlstate(e) {
            Some(code) => format!("query failed: SQLSTATE {code}"),
            None if is_connection_lost(e) => "connection closed".into(),
            None => "query failed".into(),
        },
        PgError::QueryFailed(QueryError::DbError(db)) => {
            format!("query failed: SQLSTATE {}", db.code)
        }
        PgError::Other(m) => format!("error: {m}"),
    }
}
