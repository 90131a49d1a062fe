//! The store over PostgreSQL stored functions, through Spin's
//! `spin:postgres/postgres@4.0.0`. One connection per request, opened on first
//! use; each request makes as few calls as its flow allows (register: one).
//! SQLSTATEs raised by the functions become `StoreError`s here.

use crate::core::ports::{
    Caller, Credentials, NewRegistration, NewSession, OpenedSession, PasswordCredentials,
    Registered, Rotation, Store, StoreError,
};
use crate::core::secret::Secret;
use serde::de::DeserializeOwned;
use serde_json::Value;
use spin_sdk::pg4::{Connection, DbValue, ParameterValue, PgError, QueryError};

pub struct PgStore<'a> {
    url: &'a Secret<String>,
    connection: Option<Connection>,
}

impl<'a> PgStore<'a> {
    pub fn new(url: &'a Secret<String>) -> Self {
        PgStore {
            url,
            connection: None,
        }
    }

    fn connection(&mut self) -> Result<&Connection, StoreError> {
        if self.connection.is_none() {
            let c = Connection::open(self.url.expose()).map_err(|e| {
                eprintln!("database connection failed: {}", describe(&e));
                StoreError::Unavailable
            })?;
            self.connection = Some(c);
        }
        Ok(self.connection.as_ref().expect("opened above"))
    }

    /// Calls a function that returns one jsonb value (or NULL).
    fn call<T: DeserializeOwned>(
        &mut self,
        sql: &str,
        params: &[ParameterValue],
    ) -> Result<Option<T>, StoreError> {
        let rows = self.connection()?.query(sql, params).map_err(store_error)?;
        let Some(value) = rows.rows.first().and_then(|r| r.first()) else {
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
}

fn text(s: &str) -> ParameterValue {
    ParameterValue::Str(s.to_string())
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

impl Store for PgStore<'_> {
    fn register(&mut self, r: &NewRegistration<'_>) -> Result<Registered, StoreError> {
        let profile =
            serde_json::to_vec(r.profile).map_err(|e| StoreError::Failed(e.to_string()))?;
        let mut params = vec![
            text(r.second_login),
            text(r.phone),
            optional_text(r.email),
            text(r.password_hash),
            ParameterValue::Jsonb(profile),
            ParameterValue::ArrayStr(r.group_names.iter().map(|g| Some(g.clone())).collect()),
            text(r.interface),
        ];
        params.extend(session_params(&r.session));
        self.call(
            "SELECT auth.register($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &params,
        )?
        .ok_or_else(|| StoreError::Failed("auth.register returned NULL".into()))
    }

    fn find_credentials(
        &mut self,
        contact_type: &str,
        value: &str,
    ) -> Result<Option<Credentials>, StoreError> {
        self.call(
            "SELECT auth.find_credentials($1, $2)",
            &[text(contact_type), text(value)],
        )
    }

    fn open_session(
        &mut self,
        user_id: &str,
        session: &NewSession<'_>,
    ) -> Result<OpenedSession, StoreError> {
        let mut params = vec![ParameterValue::Uuid(user_id.to_string())];
        params.extend(session_params(session));
        self.call("SELECT auth.open_session($1, $2, $3, $4, $5, $6)", &params)?
            .ok_or_else(|| StoreError::Failed("auth.open_session returned NULL".into()))
    }

    fn rotate_refresh_token(
        &mut self,
        presented: &[u8; 32],
        successor: &[u8; 32],
        grace_seconds: u32,
    ) -> Result<Rotation, StoreError> {
        let params = [
            ParameterValue::Binary(presented.to_vec()),
            ParameterValue::Binary(successor.to_vec()),
            ParameterValue::Int32(grace_seconds as i32),
        ];
        self.call("SELECT auth.rotate_refresh_token($1, $2, $3)", &params)?
            .ok_or_else(|| StoreError::Failed("auth.rotate_refresh_token returned NULL".into()))
    }

    fn me(&mut self, caller: &Caller<'_>) -> Result<Option<Value>, StoreError> {
        self.call("SELECT auth.me($1, $2)", &caller_params(caller))
    }

    fn list_sessions(&mut self, caller: &Caller<'_>) -> Result<Option<Value>, StoreError> {
        self.call("SELECT auth.list_sessions($1, $2)", &caller_params(caller))
    }

    fn revoke_session(&mut self, caller: &Caller<'_>, target: &str) -> Result<String, StoreError> {
        let [user, session] = caller_params(caller);
        let params = [user, session, ParameterValue::Uuid(target.to_string())];
        self.call_text("SELECT auth.revoke_session($1, $2, $3)", &params)
    }

    fn logout(&mut self, caller: &Caller<'_>, all: bool) -> Result<bool, StoreError> {
        let [user, session] = caller_params(caller);
        self.call_bool(
            "SELECT auth.logout($1, $2, $3)",
            &[user, session, ParameterValue::Boolean(all)],
        )
    }

    fn password_credentials(
        &mut self,
        caller: &Caller<'_>,
    ) -> Result<Option<PasswordCredentials>, StoreError> {
        self.call(
            "SELECT auth.password_credentials($1, $2)",
            &caller_params(caller),
        )
    }

    fn change_password(
        &mut self,
        caller: &Caller<'_>,
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        let [user, session] = caller_params(caller);
        self.call_bool(
            "SELECT auth.change_password($1, $2, $3)",
            &[user, session, text(password_hash)],
        )
    }
}

fn caller_params(caller: &Caller<'_>) -> [ParameterValue; 2] {
    [
        ParameterValue::Uuid(caller.user_id.to_string()),
        ParameterValue::Uuid(caller.session_id.to_string()),
    ]
}

impl PgStore<'_> {
    /// The single scalar a function returns.
    fn scalar(&mut self, sql: &str, params: &[ParameterValue]) -> Result<DbValue, StoreError> {
        let rows = self.connection()?.query(sql, params).map_err(store_error)?;
        rows.rows
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next())
            .ok_or_else(|| StoreError::Failed("no result row".into()))
    }

    fn call_bool(&mut self, sql: &str, params: &[ParameterValue]) -> Result<bool, StoreError> {
        match self.scalar(sql, params)? {
            DbValue::Boolean(b) => Ok(b),
            other => Err(StoreError::Failed(format!(
                "expected boolean, got {other:?}"
            ))),
        }
    }

    fn call_text(&mut self, sql: &str, params: &[ParameterValue]) -> Result<String, StoreError> {
        match self.scalar(sql, params)? {
            DbValue::Str(s) => Ok(s),
            other => Err(StoreError::Failed(format!("expected text, got {other:?}"))),
        }
    }
}

/// Maps what the stored functions raise (see the COMMENTs in sql/migrations).
fn store_error(e: PgError) -> StoreError {
    let PgError::QueryFailed(QueryError::DbError(db)) = &e else {
        eprintln!("database call failed: {}", describe(&e));
        return match e {
            PgError::ConnectionFailed(_) => StoreError::Unavailable,
            _ => StoreError::Failed(describe(&e)),
        };
    };
    let extra = |key: &str| {
        db.extras
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    match db.code.as_str() {
        "23505" => match extra("column") {
            Some(field) => StoreError::Taken { field },
            None => StoreError::Failed(format!("23505 without a column: {}", db.message)),
        },
        "AU001" => StoreError::UnknownInterface,
        "AU002" => StoreError::RolesNotAllowed {
            roles: db
                .detail
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .collect(),
        },
        code if code.starts_with("08") || code == "57P01" || code == "53300" => {
            eprintln!("database unavailable: {code} {}", db.message);
            StoreError::Unavailable
        }
        code => {
            // The message only: DETAIL may quote row values.
            eprintln!("database call failed: {code} {}", db.message);
            StoreError::Failed(format!("{code}: {}", db.message))
        }
    }
}

/// A log line for a driver error that leaves out the connection string.
fn describe(e: &PgError) -> String {
    match e {
        PgError::ConnectionFailed(_) => "connection failed".into(),
        PgError::BadParameter(m) | PgError::ValueConversionFailed(m) => {
            format!("bad parameter: {m}")
        }
        PgError::QueryFailed(QueryError::Text(m)) => format!("query failed: {m}"),
        PgError::QueryFailed(QueryError::DbError(db)) => {
            format!("query failed: {} {}", db.code, db.message)
        }
        PgError::Other(m) => format!("error: {m}"),
    }
}
