//! Prints latency and throughput figures for the main flows of a running auth
//! service: register, login, refresh, me. Bounded: a fixed number of requests
//! to one loopback address, then it stops.
//!
//!     auth-bench http://127.0.0.1:3000 [users] [concurrency]

use serde_json::{json, Value};
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    fn post(&self, path: &str, body: &Value, bearer: Option<&str>) -> (u16, Value) {
        let mut request = self.agent.post(format!("{}{path}", self.base));
        if let Some(token) = bearer {
            request = request.header("authorization", &format!("Bearer {token}"));
        }
        let mut response = request.send_json(body).expect("the service answers");
        let status = response.status().as_u16();
        (
            status,
            response.body_mut().read_json().unwrap_or(Value::Null),
        )
    }

    fn get(&self, path: &str, bearer: &str) -> u16 {
        let response = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("authorization", &format!("Bearer {bearer}"))
            .call()
            .expect("the service answers");
        response.status().as_u16()
    }
}

/// Runs `work(i)` for i in 0..count on `concurrency` threads; returns the
/// latencies and the wall time.
fn measure<T: Send>(
    count: usize,
    concurrency: usize,
    work: impl Fn(usize) -> T + Sync,
) -> (Vec<Duration>, Duration, Vec<T>) {
    let next = Mutex::new(0usize);
    let results = Mutex::new(Vec::with_capacity(count));
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..concurrency {
            scope.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    if *n >= count {
                        return;
                    }
                    *n += 1;
                    *n - 1
                };
                let t = Instant::now();
                let out = work(i);
                results.lock().unwrap().push((i, t.elapsed(), out));
            });
        }
    });
    let wall = started.elapsed();
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _, _)| *i);
    let latencies = results.iter().map(|(_, d, _)| *d).collect();
    (
        latencies,
        wall,
        results.into_iter().map(|(_, _, o)| o).collect(),
    )
}

fn report(name: &str, mut latencies: Vec<Duration>, wall: Duration) {
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<10} n={:<5} {:>8.1} req/s   p50 {:>7.1} ms   p95 {:>7.1} ms   p99 {:>7.1} ms   max {:>7.1} ms",
        latencies.len(),
        latencies.len() as f64 / wall.as_secs_f64(),
        ms(pct(0.50)),
        ms(pct(0.95)),
        ms(pct(0.99)),
        ms(*latencies.last().unwrap()),
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:3000".into());
    let users: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(4);
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let client = Client { base, agent };
    let run = std::process::id();
    println!(
        "{users} users, {concurrency} concurrent clients, against {}",
        client.base
    );

    let (lat, wall, tokens) = measure(users, concurrency, |i| {
        let body = json!({
            "second_login": format!("bench.{run}.{i}"),
            "phone": format!("+7913{:07}", (run as usize * 1000 + i) % 10_000_000),
            "password": "benchmark password",
            "group_names": ["customer"],
            "interface": "customer_app",
        });
        let (status, body) = client.post("/api/v1/auth/register", &body, None);
        assert_eq!(status, 201, "register: {body}");
        body["refresh_token"].as_str().unwrap().to_string()
    });
    report("register", lat, wall);

    let (lat, wall, pairs) = measure(users, concurrency, |i| {
        let body = json!({"login": format!("bench.{run}.{i}"), "password": "benchmark password"});
        let (status, body) = client.post("/api/v1/auth/login", &body, None);
        assert_eq!(status, 200, "login: {body}");
        body["access_token"].as_str().unwrap().to_string()
    });
    report("login", lat, wall);

    let (lat, wall, _) = measure(users, concurrency, |i| {
        let (status, body) = client.post(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": tokens[i]}),
            None,
        );
        assert_eq!(status, 200, "refresh: {body}");
    });
    report("refresh", lat, wall);

    let (lat, wall, _) = measure(users * 5, concurrency, |i| {
        assert_eq!(client.get("/api/v1/auth/me", &pairs[i % users]), 200);
    });
    report("me", lat, wall);

    let (lat, wall, _) = measure(users * 5, concurrency, |_| {
        let (status, _) = client.post(
            "/api/v1/auth/login",
            &json!({"login": "", "password": ""}),
            None,
        );
        assert_eq!(status, 422);
    });
    report("reject", lat, wall);
}
