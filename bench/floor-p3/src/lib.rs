//! The floor of a WASIp3 Spin component (spin-sdk 7, as the auth service's
//! p3 build): each route does only what its name says, then answers 200
//! with a declared length. Spin reuses the instance, so a connection can
//! be kept from one request to the next, as the auth service does.
//!
//!     …/redis          one Redis GET on a connection kept in the instance
//!     …/postgres       one PostgreSQL query on a kept connection
//!     …/both           both, kept
//!     …/redis-fresh    one Redis GET on a connection opened for it
//!     …/postgres-fresh one query on a connection opened for it
//!     anything else:   nothing
//!
//! Server addresses come from the environment, not from Spin variables.

use spin_sdk::http::{HeaderValue, Request, Response, StatusCode};
use spin_sdk::http_service;
use spin_sdk::pg::{Connection as Postgres, ParameterValue};
use spin_sdk::redis::Connection as Redis;
use std::cell::RefCell;

type Body = http_body_util::Full<bytes::Bytes>;

thread_local! {
    static IDLE_REDIS: RefCell<Vec<Redis>> = const { RefCell::new(Vec::new()) };
    static IDLE_PG: RefCell<Vec<Postgres>> = const { RefCell::new(Vec::new()) };
}

async fn redis_get(keep: bool) -> anyhow::Result<()> {
    let kept = if keep {
        IDLE_REDIS.with(|i| i.borrow_mut().pop())
    } else {
        None
    };
    let redis = match kept {
        Some(r) => r,
        None => Redis::open(std::env::var("FLOOR_REDIS_URL")?).await?,
    };
    redis.get("floor").await?;
    if keep {
        IDLE_REDIS.with(|i| i.borrow_mut().push(redis));
    }
    Ok(())
}

async fn postgres_query(keep: bool) -> anyhow::Result<()> {
    let kept = if keep {
        IDLE_PG.with(|i| i.borrow_mut().pop())
    } else {
        None
    };
    let db = match kept {
        Some(db) => db,
        None => Postgres::open(std::env::var("FLOOR_DB_URL")?).await?,
    };
    let rows = db
        .query("SELECT $1::int4 + 1", vec![ParameterValue::Int32(1)])
        .await?
        .collect()
        .await?;
    anyhow::ensure!(rows.len() == 1, "one row expected");
    if keep {
        IDLE_PG.with(|i| i.borrow_mut().push(db));
    }
    Ok(())
}

async fn work(path: &str) -> anyhow::Result<()> {
    match path.rsplit('/').next().unwrap_or("") {
        "redis" => redis_get(true).await,
        "postgres" => postgres_query(true).await,
        "both" => {
            redis_get(true).await?;
            postgres_query(true).await
        }
        "redis-fresh" => redis_get(false).await,
        "postgres-fresh" => postgres_query(false).await,
        _ => Ok(()),
    }
}

#[http_service]
async fn handle(request: Request) -> Response<Body> {
    let (status, body) = match work(request.uri().path()).await {
        Ok(()) => (StatusCode::OK, "{\"status\":\"ok\"}".to_string()),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}")),
    };
    let length = HeaderValue::from(body.len());
    let mut response = Response::new(Body::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert("content-length", length);
    response
}
