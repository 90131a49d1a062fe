//! The floor of a Spin HTTP component, built with the same `spin-sdk` as
//! the auth service: each route does only what its name says, then answers
//! 200. Its server addresses come from the component's environment, not from
//! Spin variables, so nothing else is paid for.
//!
//!     …/redis     one Redis connection and one GET (the guard of /me)
//!     …/postgres  one PostgreSQL query (the one call of refresh)
//!     …/both      both (register and login make these and more)
//!     …/kv        one GET through Spin's key-value store, whose Redis
//!                 backend keeps one connection for the whole app (the
//!                 store `default`, pointed at the same Redis by the
//!                 runtime config): what a guard could cost if it read
//!                 Redis that way
//!     anything else: nothing

use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::http_component;
use spin_sdk::pg4::{Connection as Postgres, ParameterValue};
use spin_sdk::redis::Connection as Redis;

fn redis_get() -> anyhow::Result<()> {
    let redis = Redis::open(&std::env::var("FLOOR_REDIS_URL")?)?;
    redis.get("floor")?;
    Ok(())
}

fn key_value_get() -> anyhow::Result<()> {
    let store = spin_sdk::key_value::Store::open_default()?;
    store.get("floor")?;
    Ok(())
}

fn postgres_query() -> anyhow::Result<()> {
    let db = Postgres::open(&std::env::var("FLOOR_DB_URL")?)?;
    let rows = db.query("SELECT $1::int4 + 1", &[ParameterValue::Int32(1)])?;
    anyhow::ensure!(rows.rows.len() == 1, "one row expected");
    Ok(())
}

#[http_component]
fn handle(request: Request) -> anyhow::Result<impl IntoResponse> {
    let path = request.path();
    if path.ends_with("/redis") || path.ends_with("/both") {
        redis_get()?;
    }
    if path.ends_with("/postgres") || path.ends_with("/both") {
        postgres_query()?;
    }
    if path.ends_with("/kv") {
        key_value_get()?;
    }
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body("{\"status\":\"ok\"}")
        .build())
}
