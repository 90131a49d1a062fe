//! The store over PostgreSQL stored functions, through Spin's
//! `spin:postgres/postgres@4.x`. A request uses one connection, opened on
//! first use or kept from an earlier request of the same instance
//! (`edge::kept`); each request makes as few calls as its flow allows
//! (register: one).
//! Every outcome a client can cause comes back from a function as a jsonb
//! value tagged `outcome`, read into the core's enums: under Spin, an error a
//! function raises reaches us only as text (see `store_error`).

mod account;
mod administration;
mod organizations;
mod phone_codes;
mod probes;
mod registration;
mod sessions;
mod sign_in;

use crate::core::config::Config;
use crate::core::ports::{Caller, NewSession, StoreError, Transactions, UserSessionsEnded};
use crate::edge::host::{pg_call_timed_out, DbValue, ParameterValue, PgError, PgLink, QueryError};
use crate::edge::kept;
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

    /// Runs one statement. A kept connection the server closed while it
    /// waited fails before the statement reaches the server: then the
    /// statement runs once more, on a new connection.
    async fn rows(
        &mut self,
        statement: &str,
        params: &[ParameterValue],
    ) -> Result<Vec<Vec<DbValue>>, StoreError> {
        let link = self.link().await?;
        let reused = std::mem::replace(&mut link.from_earlier_request, false);
        let mut answer = link.connection.query(statement, params).await;
        if let Err(e) = &answer {
            if reused && is_connection_lost(e) && !pg_call_timed_out(e) {
                self.link = Some(Link::new(self.open().await?, false));
                let link = self.link.as_mut().expect("set above");
                answer = link.connection.query(statement, params).await;
            }
        }
        answer.map_err(|e| self.failed(statement, e))
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
        self.call(sql, params)
            .await?
            .ok_or_else(|| StoreError::Failed(format!("{sql} answered NULL")))
    }

    /// Calls a function that returns one jsonb value (or NULL).
    async fn call<T: DeserializeOwned>(
        &mut self,
        sql: &str,
        params: &[ParameterValue],
    ) -> Result<Option<T>, StoreError> {
        let rows = self.rows(sql, params).await?;
        let Some(value) = rows.first().and_then(|r| r.first()) else {
            return Ok(None);
        };
        match value {
            DbValue::DbNull => Ok(None),
            DbValue::Jsonb(bytes) => serde_json::from_slice(bytes)
                .map(Some)
                .map_err(|e| StoreError::Failed(format!("unexpected result shape: {e}"))),
            other => Err(StoreError::Failed(format!("expected jsonb, got {other:?}"))),
        }
    }

    /// BEGIN, COMMIT or ROLLBACK.
    async fn run(&mut self, statement: &str) -> Result<(), StoreError> {
        let link = self.link().await?;
        link.from_earlier_request = false;
        let answer = link.connection.execute(statement).await;
        answer.map_err(|e| self.failed(statement, e))
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

/// A connection in a known clean state waits for the next request.
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
        ParameterValue::Binary(session.refresh_token_hash.to_vec()),
        ParameterValue::Int32(session.ttl_seconds as i32),
        ParameterValue::Int32(session.max_sessions as i32),
        optional_text(session.client.user_agent.as_deref()),
        optional_text(session.client.ip.as_deref()),
    ]
}

fn text_array(items: &[String]) -> ParameterValue {
    ParameterValue::ArrayStr(items.iter().map(|i| Some(i.clone())).collect())
}

impl Transactions for PgStore<'_> {
    async fn begin(&mut self) -> Result<(), StoreError> {
        self.run("BEGIN").await?;
        self.link().await?.in_transaction = true;
        Ok(())
    }

    async fn commit(&mut self) -> Result<(), StoreError> {
        self.run("COMMIT").await?;
        self.link().await?.in_transaction = false;
        Ok(())
    }

    async fn rollback(&mut self) {
        if self.link.is_some() {
            match self.run("ROLLBACK").await {
                Ok(()) => self.link().await.expect("open").in_transaction = false,
                Err(e) => eprintln!("rollback failed: {e:?}"),
            }
        }
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
        let rows = self.rows(sql, params).await?;
        match rows.first().and_then(|r| r.first()) {
            Some(DbValue::Int32(n)) => Ok(*n),
            other => Err(StoreError::Failed(format!(
                "expected integer, got {other:?}"
            ))),
        }
    }

    /// The single boolean a function returns.
    async fn call_bool(
        &mut self,
        sql: &str,
        params: &[ParameterValue],
    ) -> Result<bool, StoreError> {
        let rows = self.rows(sql, params).await?;
        match rows.first().and_then(|r| r.first()) {
            Some(DbValue::Boolean(b)) => Ok(*b),
            other => Err(StoreError::Failed(format!(
                "expected boolean, got {other:?}"
            ))),
        }
    }
}

/// What a failed call means for the client: the database cannot be reached
/// (503), or something unexpected happened (500). Expected outcomes never
/// arrive here. Under Spin, an error raised while the rows are read (which is
/// where a function's own errors surface) arrives only as
/// `query-error::text`, a debug rendering this code never parses; SQLSTATEs
/// survive only for errors before the first row (connect, prepare, bind).
fn store_error(statement: &str, e: PgError) -> StoreError {
    match &e {
        PgError::ConnectionFailed(_) => {
            eprintln!("database connection failed");
            StoreError::Unavailable
        }
        PgError::QueryFailed(QueryError::DbError(db)) if is_unavailable(&db.code) => {
            eprintln!("database unavailable: SQLSTATE {}", db.code);
            StoreError::Unavailable
        }
        PgError::QueryFailed(QueryError::DbError(db)) => {
            // The SQLSTATE only: message and DETAIL may quote row values.
            eprintln!("{statement}: failed with SQLSTATE {}", db.code);
            StoreError::Failed(format!("SQLSTATE {}", db.code))
        }
        PgError::QueryFailed(QueryError::Text(_)) => {
            // Not logged: it may quote row values. PostgreSQL's own log has it.
            eprintln!("{statement}: failed while its result was read (see the PostgreSQL log)");
            StoreError::Failed("failed while reading the result".into())
        }
        PgError::BadParameter(_) | PgError::ValueConversionFailed(_) | PgError::Other(_) => {
            eprintln!("{statement}: {}", describe(&e));
            StoreError::Failed(describe(&e))
        }
    }
}

/// SQLSTATEs that mean "not reachable now, try again": connection exceptions
/// (class 08), the server shutting down or starting, too many connections.
/// The connection itself is gone (not a failure of the statement).
fn is_connection_lost(e: &PgError) -> bool {
    match e {
        PgError::ConnectionFailed(_) => true,
        PgError::QueryFailed(QueryError::DbError(db)) => is_unavailable(&db.code),
        PgError::QueryFailed(QueryError::Text(text)) => {
            // tokio-postgres' `Closed`, as Spin renders it.
            text.contains("Closed") || text.contains("connection closed")
        }
        _ => false,
    }
}

fn is_unavailable(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
}

/// A log line for a driver error that leaves out the connection string.
fn describe(e: &PgError) -> String {
    match e {
        PgError::ConnectionFailed(_) => "connection failed".into(),
        PgError::BadParameter(m) | PgError::ValueConversionFailed(m) => {
            format!("bad parameter: {m}")
        }
        PgError::QueryFailed(QueryError::Text(_)) => "query failed".into(),
        PgError::QueryFailed(QueryError::DbError(db)) => {
            format!("query failed: SQLSTATE {}", db.code)
        }
        PgError::Other(m) => format!("error: {m}"),
    }
}
