//! `spin:postgres/postgres@4.0.0` over real PostgreSQL, converting values and
//! errors the way Spin's own host does: connections come from a pool per
//! address (at most 64 kept), each `Connection::open` holds one real
//! connection for its lifetime (so `BEGIN` … `COMMIT` on it is one
//! transaction) and hands it back as it is when dropped, to be recycled as
//! Spin's pool does when it is next taken (see `PgPool`), every
//! `query`/`execute` prepares its statement afresh, and database errors come
//! back as `query-failed(db-error)` with the SQLSTATE — except, for `query`,
//! an error that arrives while the rows are read (a stored function's RAISE),
//! which Spin flattens to `query-failed(text)` and so does this host.

// The error type is the WIT interface's own, large by design.
#![allow(clippy::result_large_err)]

use crate::bindings::spin::postgres::postgres::{
    self as pg, Column, DbDataType, DbError, DbValue, Error, ParameterValue, QueryError, RowSet,
};
use crate::state::RequestState;
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use futures::TryStreamExt;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use tokio_postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};
use tokio_postgres::{Client, NoTls, Row};
use wasmtime::component::Resource;

pub struct PgConnection {
    address: String,
    client: Client,
}

/// Idle connections per address, kept and recycled exactly as Spin's pool
/// does (spinframework/spin, crates/factor-outbound-pg/src/client.rs:
/// deadpool-postgres 0.14 with `RecyclingMethod::Clean`, first in first
/// out): a connection is handed back as the guest left it, and checked only
/// when it is next taken — closed, or the `Clean` statements fail on it
/// (an aborted transaction), and it is dropped. Nothing rolls back: a
/// connection left inside an open transaction passes `Clean` and goes to
/// the next borrower still in it, as under Spin, so the tests see what
/// production sees.
#[derive(Default)]
pub struct PgPool {
    idle: Mutex<HashMap<String, VecDeque<Client>>>,
}

const POOL_SIZE: usize = 64;

/// deadpool-postgres' `RecyclingMethod::Clean`, run by `simple_query`.
const CLEAN: &str = "CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; UNLISTEN *; \
                     SELECT pg_advisory_unlock_all(); DISCARD TEMP; DISCARD SEQUENCES;";

impl PgPool {
    async fn get(&self, address: &str) -> Result<Client, Error> {
        loop {
            let reused = self
                .idle
                .lock()
                .unwrap()
                .get_mut(address)
                .and_then(VecDeque::pop_front);
            match reused {
                Some(client) if client.is_closed() => continue,
                Some(client) => match client.simple_query(CLEAN).await {
                    Ok(_) => return Ok(client),
                    Err(_) => continue,
                },
                None => break,
            }
        }
        let config: tokio_postgres::Config = address.parse().map_err(|e| {
            Error::ConnectionFailed(format!("parsing Postgres connection string: {e}"))
        })?;
        let (client, connection) = config
            .connect(NoTls)
            .await
            .map_err(|e| Error::ConnectionFailed(format!("{e:?}")))?;
        tokio::spawn(async move {
            // Ends when the client is dropped or the server goes away.
            let _ = connection.await;
        });
        Ok(client)
    }

    /// Takes a connection back as the guest left it (deadpool checks
    /// nothing on return).
    fn put(&self, address: String, client: Client) {
        let mut idle = self.idle.lock().unwrap();
        let clients = idle.entry(address).or_default();
        if clients.len() < POOL_SIZE {
            clients.push_back(client);
        }
    }
}

impl pg::Host for RequestState {}

impl pg::HostConnection for RequestState {
    async fn open(&mut self, address: String) -> Result<Resource<PgConnection>, Error> {
        if !self.services.allowed_hosts.allows(&address, "postgres") {
            return Err(Error::ConnectionFailed(format!(
                "address {address:?} is not permitted by allowed_outbound_hosts"
            )));
        }
        let client = self.services.pg_pool.get(&address).await?;
        self.table
            .push(PgConnection { address, client })
            .map_err(|e| Error::Other(e.to_string()))
    }

    async fn query(
        &mut self,
        conn: Resource<PgConnection>,
        statement: String,
        params: Vec<ParameterValue>,
    ) -> Result<RowSet, Error> {
        let params = to_sql_parameters(&params).map_err(Error::BadParameter)?;
        let refs: Vec<&(dyn ToSql + Sync)> = params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let client = &self.connection(&conn)?.client;
        // As Spin does: errors up to the bind keep their SQLSTATE; an error
        // while the rows stream in (where a function's own RAISE arrives) is
        // flattened to text.
        let stream = client
            .query_raw(&statement, refs)
            .await
            .map_err(query_failed)?;
        let rows: Vec<Row> = stream
            .try_collect()
            .await
            .map_err(|e| Error::QueryFailed(QueryError::Text(format!("{e:?}"))))?;
        let Some(first) = rows.first() else {
            return Ok(RowSet {
                columns: vec![],
                rows: vec![],
            });
        };
        let columns = first
            .columns()
            .iter()
            .map(|c| Column {
                name: c.name().to_string(),
                data_type: data_type(c.type_()),
            })
            .collect();
        let rows = rows
            .iter()
            .map(convert_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::QueryFailed(QueryError::Text(e)))?;
        Ok(RowSet { columns, rows })
    }

    async fn execute(
        &mut self,
        conn: Resource<PgConnection>,
        statement: String,
        params: Vec<ParameterValue>,
    ) -> Result<u64, Error> {
        let params = to_sql_parameters(&params).map_err(Error::ValueConversionFailed)?;
        let refs: Vec<&(dyn ToSql + Sync)> = params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let client = &self.connection(&conn)?.client;
        client
            .execute(&statement, &refs)
            .await
            .map_err(query_failed)
    }

    async fn drop(&mut self, conn: Resource<PgConnection>) -> wasmtime::Result<()> {
        let PgConnection { address, client } = self.table.delete(conn)?;
        self.services.pg_pool.put(address, client);
        Ok(())
    }
}

impl RequestState {
    fn connection(&self, conn: &Resource<PgConnection>) -> Result<&PgConnection, Error> {
        self.table
            .get(conn)
            .map_err(|_| Error::Other("could not find connection for resource".into()))
    }
}

fn query_failed(e: tokio_postgres::Error) -> Error {
    let as_text = format!("{e:?}");
    Error::QueryFailed(match e.as_db_error() {
        None => QueryError::Text(as_text),
        Some(db) => {
            let mut extras = Vec::new();
            let mut extra = |k: &str, v: Option<&str>| {
                if let Some(v) = v {
                    extras.push((k.to_string(), v.to_string()));
                }
            };
            extra("column", db.column());
            extra("constraint", db.constraint());
            extra("routine", db.routine());
            extra("hint", db.hint());
            extra("table", db.table());
            extra("datatype", db.datatype());
            extra("schema", db.schema());
            QueryError::DbError(DbError {
                as_text,
                severity: db.severity().to_string(),
                code: db.code().code().to_string(),
                message: db.message().to_string(),
                detail: db.detail().map(str::to_string),
                extras,
            })
        }
    })
}

fn data_type(t: &Type) -> DbDataType {
    match *t {
        Type::BOOL => DbDataType::Boolean,
        Type::BYTEA => DbDataType::Binary,
        Type::FLOAT4 => DbDataType::Floating32,
        Type::FLOAT8 => DbDataType::Floating64,
        Type::INT2 => DbDataType::Int16,
        Type::INT4 => DbDataType::Int32,
        Type::INT8 => DbDataType::Int64,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR => DbDataType::Str,
        Type::TIMESTAMP | Type::TIMESTAMPTZ => DbDataType::Datetime,
        Type::DATE => DbDataType::Date,
        Type::TIME => DbDataType::Time,
        Type::UUID => DbDataType::Uuid,
        Type::JSONB => DbDataType::Jsonb,
        Type::NUMERIC => DbDataType::Decimal,
        Type::INT4_ARRAY => DbDataType::ArrayInt32,
        Type::INT8_ARRAY => DbDataType::ArrayInt64,
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY | Type::BPCHAR_ARRAY => DbDataType::ArrayStr,
        Type::INTERVAL => DbDataType::Interval,
        _ => DbDataType::Other(t.name().to_string()),
    }
}

fn get<'a, T: FromSql<'a>>(
    row: &'a Row,
    i: usize,
    f: impl Fn(T) -> DbValue,
) -> Result<DbValue, String> {
    let v: Option<T> = row.try_get(i).map_err(|e| format!("{e:?}"))?;
    Ok(v.map(f).unwrap_or(DbValue::DbNull))
}

fn datetime(v: NaiveDateTime) -> (i32, u8, u8, u8, u8, u8, u32) {
    (
        v.year(),
        v.month() as u8,
        v.day() as u8,
        v.hour() as u8,
        v.minute() as u8,
        v.second() as u8,
        v.nanosecond(),
    )
}

fn convert_row(row: &Row) -> Result<Vec<DbValue>, String> {
    (0..row.len())
        .map(|i| match *row.columns()[i].type_() {
            Type::BOOL => get(row, i, DbValue::Boolean),
            Type::BYTEA => get(row, i, DbValue::Binary),
            Type::FLOAT4 => get(row, i, DbValue::Floating32),
            Type::FLOAT8 => get(row, i, DbValue::Floating64),
            Type::INT2 => get(row, i, DbValue::Int16),
            Type::INT4 => get(row, i, DbValue::Int32),
            Type::INT8 => get(row, i, DbValue::Int64),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR => get(row, i, DbValue::Str),
            Type::TIMESTAMP => get(row, i, |v: NaiveDateTime| DbValue::Datetime(datetime(v))),
            // Spin hands both timestamp types over as a UTC instant.
            Type::TIMESTAMPTZ => get(row, i, |v: chrono::DateTime<chrono::Utc>| {
                DbValue::Datetime(datetime(v.naive_utc()))
            }),
            Type::DATE => get(row, i, |v: NaiveDate| {
                DbValue::Date((v.year(), v.month() as u8, v.day() as u8))
            }),
            Type::TIME => get(row, i, |v: NaiveTime| {
                DbValue::Time((
                    v.hour() as u8,
                    v.minute() as u8,
                    v.second() as u8,
                    v.nanosecond(),
                ))
            }),
            Type::UUID => get(row, i, |v: uuid::Uuid| DbValue::Uuid(v.to_string())),
            Type::JSONB => get(row, i, |v: serde_json::Value| {
                DbValue::Jsonb(serde_json::to_vec(&v).unwrap_or_default())
            }),
            Type::INT4_ARRAY => get(row, i, DbValue::ArrayInt32),
            Type::INT8_ARRAY => get(row, i, DbValue::ArrayInt64),
            Type::TEXT_ARRAY | Type::VARCHAR_ARRAY | Type::BPCHAR_ARRAY => {
                get(row, i, DbValue::ArrayStr)
            }
            _ => get(row, i, |v: RawBytes| DbValue::Unsupported(v.0)),
        })
        .collect()
}

/// Any column the conversion table does not know, passed through as raw bytes.
struct RawBytes(Vec<u8>);

impl<'a> FromSql<'a> for RawBytes {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(RawBytes(raw.to_vec()))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

/// SQL NULL for a parameter of any type.
#[derive(Debug)]
struct PgNull;

impl ToSql for PgNull {
    fn to_sql(
        &self,
        _: &Type,
        _: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        Ok(IsNull::Yes)
    }
    fn accepts(_: &Type) -> bool {
        true
    }
    to_sql_checked!();
}

type Param = Box<dyn ToSql + Send + Sync>;

fn to_sql_parameters(params: &[ParameterValue]) -> Result<Vec<Param>, String> {
    params.iter().map(to_sql_parameter).collect()
}

fn to_sql_parameter(value: &ParameterValue) -> Result<Param, String> {
    Ok(match value {
        ParameterValue::Boolean(v) => Box::new(*v),
        ParameterValue::Int8(v) => Box::new(*v),
        ParameterValue::Int16(v) => Box::new(*v),
        ParameterValue::Int32(v) => Box::new(*v),
        ParameterValue::Int64(v) => Box::new(*v),
        ParameterValue::Floating32(v) => Box::new(*v),
        ParameterValue::Floating64(v) => Box::new(*v),
        ParameterValue::Str(v) => Box::new(v.clone()),
        ParameterValue::Binary(v) => Box::new(v.clone()),
        ParameterValue::Date((y, m, d)) => {
            Box::new(NaiveDate::from_ymd_opt(*y, (*m).into(), (*d).into()).ok_or("invalid date")?)
        }
        ParameterValue::Time((h, m, s, ns)) => Box::new(
            NaiveTime::from_hms_nano_opt((*h).into(), (*m).into(), (*s).into(), *ns)
                .ok_or("invalid time")?,
        ),
        ParameterValue::Datetime((y, mo, d, h, mi, s, ns)) => {
            let date =
                NaiveDate::from_ymd_opt(*y, (*mo).into(), (*d).into()).ok_or("invalid date")?;
            let time = NaiveTime::from_hms_nano_opt((*h).into(), (*mi).into(), (*s).into(), *ns)
                .ok_or("invalid time")?;
            Box::new(NaiveDateTime::new(date, time))
        }
        ParameterValue::Timestamp(v) => {
            Box::new(chrono::DateTime::from_timestamp(*v, 0).ok_or("invalid timestamp")?)
        }
        ParameterValue::Uuid(v) => Box::new(uuid::Uuid::parse_str(v).map_err(|e| e.to_string())?),
        ParameterValue::Jsonb(v) => {
            Box::new(serde_json::from_slice::<serde_json::Value>(v).map_err(|e| e.to_string())?)
        }
        ParameterValue::ArrayInt32(v) => Box::new(v.clone()),
        ParameterValue::ArrayInt64(v) => Box::new(v.clone()),
        ParameterValue::ArrayStr(v) => Box::new(v.clone()),
        ParameterValue::DbNull => Box::new(PgNull),
        ParameterValue::Decimal(_)
        | ParameterValue::RangeInt32(_)
        | ParameterValue::RangeInt64(_)
        | ParameterValue::RangeDecimal(_)
        | ParameterValue::ArrayDecimal(_)
        | ParameterValue::Interval(_) => {
            return Err("this parameter type is not provided by the test host".into())
        }
    })
}

/// The host's PostgreSQL errors against a real server, pinned to what Spin's
/// own host does (spinframework/spin, crates/factor-outbound-pg): the test
/// command passes the server in `AUTH_DB_ADMIN_URL`.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::allowed_hosts::AllowedHosts;
    use crate::state::Services;
    use pg::HostConnection;
    use std::sync::Arc;

    fn request_state(url: &str) -> RequestState {
        let parsed = url::Url::parse(url).unwrap();
        let host = format!(
            "postgres://{}:{}",
            parsed.host_str().unwrap(),
            parsed.port().unwrap()
        );
        RequestState::new(Arc::new(Services {
            component_id: "test".into(),
            variables: Default::default(),
            allowed_hosts: AllowedHosts::parse(&[host]).unwrap(),
            pg_pool: Default::default(),
            files: vec![],
        }))
    }

    /// Runs `setup` (if any), then `sql`, on one connection: the error of `sql`.
    async fn query_error(state: &mut RequestState, setup: Option<&str>, sql: &str) -> Error {
        let url = std::env::var("AUTH_DB_ADMIN_URL")
            .expect("AUTH_DB_ADMIN_URL: run through tests/run-all.sh");
        let conn = state.open(url).await.expect("connects");
        if let Some(setup) = setup {
            let borrowed = Resource::new_borrow(conn.rep());
            state.execute(borrowed, setup.into(), vec![]).await.unwrap();
        }
        let borrowed = Resource::new_borrow(conn.rep());
        let outcome = state.query(borrowed, sql.into(), vec![]).await;
        HostConnection::drop(state, conn).await.unwrap();
        outcome.expect_err("the statement fails")
    }

    #[tokio::test]
    async fn an_error_raised_while_rows_are_read_arrives_as_text() {
        let url = std::env::var("AUTH_DB_ADMIN_URL").expect("AUTH_DB_ADMIN_URL");
        let mut state = request_state(&url);
        // A stored function raising its own SQLSTATE, as ours once did for
        // a taken phone: the component gets neither the SQLSTATE nor the
        // column as values, only a debug rendering.
        let function = "CREATE FUNCTION pg_temp.raise_taken() RETURNS int LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION USING ERRCODE = 'unique_violation', COLUMN = 'phone'; END $$";
        match query_error(&mut state, Some(function), "SELECT pg_temp.raise_taken()").await {
            Error::QueryFailed(QueryError::Text(text)) => {
                assert!(text.contains("23505"), "a debug rendering: {text}")
            }
            other => panic!("expected query-failed(text), got {other:?}"),
        }
    }

    /// One statement's single value, on an open connection, as text.
    async fn value(state: &mut RequestState, conn: &Resource<PgConnection>, sql: &str) -> String {
        let borrowed = Resource::new_borrow(conn.rep());
        let rows = state.query(borrowed, sql.into(), vec![]).await.unwrap();
        format!("{:?}", rows.rows[0][0])
    }

    #[tokio::test]
    async fn a_connection_handed_back_in_a_transaction_reaches_the_next_borrower_in_it() {
        // As under Spin (deadpool's Clean recycling rolls nothing back): the
        // component must never let go of a connection in a transaction.
        let url = std::env::var("AUTH_DB_ADMIN_URL").expect("AUTH_DB_ADMIN_URL");
        let mut state = request_state(&url);
        let conn = state.open(url.clone()).await.expect("connects");
        let borrowed = Resource::new_borrow(conn.rep());
        state
            .execute(borrowed, "BEGIN".into(), vec![])
            .await
            .unwrap();
        let pid = value(&mut state, &conn, "SELECT pg_backend_pid()").await;
        HostConnection::drop(&mut state, conn).await.unwrap();

        let conn = state.open(url.clone()).await.expect("connects");
        assert_eq!(
            value(&mut state, &conn, "SELECT pg_backend_pid()").await,
            pid
        );
        let in_transaction =
            "SELECT xact_start < query_start FROM pg_stat_activity WHERE pid = pg_backend_pid()";
        assert_eq!(
            value(&mut state, &conn, in_transaction).await,
            "DbValue::Boolean(true)",
            "still inside the transaction"
        );
        // An aborted transaction fails the recycling: that connection is dropped.
        let borrowed = Resource::new_borrow(conn.rep());
        let _ = state.query(borrowed, "SELECT 1 / 0".into(), vec![]).await;
        HostConnection::drop(&mut state, conn).await.unwrap();
        let conn = state.open(url).await.expect("connects");
        assert_ne!(
            value(&mut state, &conn, "SELECT pg_backend_pid()").await,
            pid
        );
        HostConnection::drop(&mut state, conn).await.unwrap();
    }

    #[tokio::test]
    async fn an_error_before_the_first_row_keeps_its_sqlstate() {
        let url = std::env::var("AUTH_DB_ADMIN_URL").expect("AUTH_DB_ADMIN_URL");
        let mut state = request_state(&url);
        // Refused while the statement is prepared: no such function.
        match query_error(&mut state, None, "SELECT no_such_function()").await {
            Error::QueryFailed(QueryError::DbError(db)) => assert_eq!(db.code, "42883"),
            other => panic!("expected query-failed(db-error), got {other:?}"),
        }
    }
}
