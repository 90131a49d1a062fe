//! What every end-to-end test needs: the running service (the built component
//! in the test host), and the real PostgreSQL and Redis behind it. The test
//! command (`tests/run-all.sh`) starts them and passes their addresses in
//! `AUTH_*` environment variables.

use serde_json::{json, Value};
use std::sync::atomic::Ordering;

pub mod contract;
pub mod secrets;

pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: run these tests through tests/run-all.sh, which starts the servers"
        )
    })
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body for a failure message: tokens replaced by `<redacted>`, so
    /// a test that got a sign-in where it expected a refusal prints none.
    pub fn shown(&self) -> String {
        match serde_json::from_str::<Value>(&self.text) {
            Ok(Value::Object(mut body)) => {
                for name in ["access_token", "refresh_token"] {
                    if let Some(token) = body.get_mut(name) {
                        *token = json!("<redacted>");
                    }
                }
                Value::Object(body).to_string()
            }
            _ => self.text.clone(),
        }
    }

    /// Asserts an RFC 9457 problem with this status and returns its body.
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            self.shown()
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "body: {}",
            self.text
        );
        let body = self.json();
        assert_eq!(body["status"], status);
        for member in ["type", "title", "detail"] {
            assert!(body[member].is_string(), "problem without {member}: {body}");
        }
        body
    }
}

pub struct Api {
    base: String,
    agent: ureq::Agent,
}

impl Default for Api {
    fn default() -> Self {
        Self::new()
    }
}

impl Api {
    pub fn new() -> Api {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Api {
            base: env("AUTH_BASE_URL"),
            agent,
        }
    }

    /// The answer, after checking it against the OpenAPI document.
    fn reply(
        method: &str,
        path: &str,
        result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Reply {
        let reply = Self::read(result);
        secrets::from_reply(&reply);
        contract::check(
            method,
            path,
            reply.status,
            reply.header("content-type"),
            &reply.text,
        );
        reply
    }

    fn read(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
        let mut response = result.expect("the service did not answer");
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        Reply {
            status,
            headers,
            text,
        }
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.post_raw(
            path,
            Some("application/json"),
            body.to_string().into_bytes(),
        )
    }

    pub fn post_raw(&self, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Reply {
        secrets::from_request(&[], Some(&body));
        let mut request = self.agent.post(format!("{}{path}", self.base));
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        Self::reply("POST", path, request.send(&body[..]))
    }

    pub fn get(&self, path: &str) -> Reply {
        Self::reply(
            "GET",
            path,
            self.agent.get(format!("{}{path}", self.base)).call(),
        )
    }

    pub fn delete(&self, path: &str) -> Reply {
        Self::reply(
            "DELETE",
            path,
            self.agent.delete(format!("{}{path}", self.base)).call(),
        )
    }

    pub fn register(&self, body: &Value) -> Reply {
        self.post_json("/api/v1/auth/register", body)
    }

    pub fn login(&self, login: &str, password: &str) -> Reply {
        self.post_json(
            "/api/v1/auth/login",
            &json!({"login": login, "password": password}),
        )
    }
}

/// A number no other test in this run has, across every test process and
/// every pass of the suite (they share one database): for unique logins and
/// phones. Blocks of numbers are handed out by the run's Redis.
pub fn unique_number() -> u64 {
    use std::sync::Mutex;
    const BLOCK: u64 = 1_000;
    static NEXT: Mutex<(u64, u64)> = Mutex::new((0, 0));
    let mut next = NEXT.lock().unwrap();
    if next.0 == next.1 {
        let client = redis::Client::open(env("AUTH_REDIS_URL")).expect("the run's Redis");
        let mut connection = client.get_connection().expect("the run's Redis answers");
        let end: u64 = redis::cmd("INCRBY")
            .arg("e2e:unique-numbers")
            .arg(BLOCK)
            .query(&mut connection)
            .expect("INCRBY");
        *next = (end - BLOCK, end);
    }
    let n = next.0;
    next.0 += 1;
    // Spread over the seven digits a phone number has room for.
    (n * 7_919 + 1_000_003) % 10_000_000
}

/// Bytes no other call in this run gets (test keys and token hashes; not
/// for secrets).
pub fn unique_bytes<const N: usize>() -> [u8; N] {
    use sha2::{Digest, Sha256};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let mut out = [0u8; N];
    for (i, chunk) in out.chunks_mut(32).enumerate() {
        let seed = format!("{}-{}-{nanos}-{i}", unique_number(), std::process::id());
        let digest = Sha256::digest(seed.as_bytes());
        chunk.copy_from_slice(&digest[..chunk.len()]);
    }
    out
}

/// A person who can register: unique login, phone and email.
pub struct Person {
    pub second_login: String,
    /// As typed, in national format.
    pub phone_typed: String,
    /// As stored: E.164.
    pub phone: String,
    pub email: String,
    pub password: String,
}

impl Person {
    pub fn new() -> Person {
        let n = unique_number();
        Person {
            second_login: format!("user.{n}"),
            phone_typed: format!(
                "8 (912) {:03}-{:02}-{:02}",
                n / 10_000,
                (n / 100) % 100,
                n % 100
            ),
            phone: format!("+7912{n:07}"),
            email: format!("user.{n}@example.com"),
            password: "correct horse battery".into(),
        }
    }

    pub fn registration(&self) -> Value {
        json!({
            "second_login": self.second_login,
            "phone": self.phone_typed,
            "email": self.email,
            "password": self.password,
            "profile": {"name": "Test Person"},
            "group_names": ["customer"],
            "interface": "customer_app",
        })
    }
}

impl Default for Person {
    fn default() -> Self {
        Self::new()
    }
}

/// The auth database as its owner (a superuser here): for looking behind the API.
pub fn admin_db() -> postgres::Client {
    postgres::Client::connect(&env("AUTH_DB_ADMIN_URL"), postgres::NoTls).expect("admin connection")
}

/// The auth database as the service's own role.
pub fn service_db() -> postgres::Client {
    postgres::Client::connect(&env("AUTH_DB_SERVICE_URL"), postgres::NoTls)
        .expect("service connection")
}

/// How many rows anywhere mention this user's login or phone.
pub fn traces_of(db: &mut postgres::Client, second_login: &str, phone: &str) -> i64 {
    db.query_one(
        "SELECT (SELECT count(*) FROM accounts.contacts WHERE value IN ($1, $2))
              + (SELECT count(*) FROM auth.outbox WHERE payload->>'second_login' = $1)",
        &[&second_login, &phone],
    )
    .unwrap()
    .get(0)
}

impl Api {
    pub fn at(base: &str) -> Api {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Api {
            base: base.to_string(),
            agent,
        }
    }

    /// A request with extra headers: `(method, path, headers, json body)`.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        let headers: Vec<(&str, &[u8])> = headers.iter().map(|(k, v)| (*k, v.as_bytes())).collect();
        let body = body.map(|b| b.to_string().into_bytes());
        self.send_raw(method, path, &headers, body.as_deref())
    }

    /// A request exactly as given: header values as raw bytes (non-ASCII
    /// too) and a body of raw bytes sent as JSON (malformed JSON too).
    pub fn send_raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &[u8])],
        json_body: Option<&[u8]>,
    ) -> Reply {
        secrets::from_request(headers, json_body);
        let url = format!("{}{path}", self.base);
        let mut builder = ureq::http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            builder = builder.header(*k, ureq::http::HeaderValue::from_bytes(v).unwrap());
        }
        let result = match json_body {
            Some(body) => {
                let request = builder
                    .header("content-type", "application/json")
                    .body(body.to_vec())
                    .unwrap();
                self.agent.run(request)
            }
            None => self.agent.run(builder.body(()).unwrap()),
        };
        Self::reply(method, path, result)
    }

    pub fn bearer(&self, method: &str, path: &str, token: &str, body: Option<&Value>) -> Reply {
        let auth = format!("Bearer {token}");
        self.send(method, path, &[("authorization", &auth)], body)
    }

    pub fn me(&self, token: &str) -> Reply {
        self.bearer("GET", "/api/v1/auth/me", token, None)
    }

    pub fn refresh(&self, refresh_token: &str) -> Reply {
        self.post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": refresh_token}),
        )
    }
}

impl Reply {
    pub fn all_headers(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// A registered person and their first token pair.
pub struct SignedIn {
    pub person: Person,
    pub user_id: String,
    pub access_token: String,
    pub refresh_token: String,
}

pub fn sign_up(api: &Api) -> SignedIn {
    let person = Person::new();
    let reply = api.register(&person.registration());
    assert_eq!(reply.status, 201, "{}", reply.text);
    let body = reply.json();
    SignedIn {
        person,
        user_id: body["user"]["id"].as_str().unwrap().to_string(),
        access_token: body["access_token"].as_str().unwrap().to_string(),
        refresh_token: body["refresh_token"].as_str().unwrap().to_string(),
    }
}

/// Someone signed in holding exactly `roles` (set behind the API's back;
/// the token comes from a login after, so it names them).
pub fn signed_in_as(api: &Api, roles: &[&str]) -> SignedIn {
    let mut user = sign_up(api);
    set_roles(&user.user_id, roles);
    sign_in_again(api, &mut user);
    user
}

/// A fresh token pair from a login: its claims name the user's roles and
/// organizations as they are now.
pub fn sign_in_again(api: &Api, user: &mut SignedIn) {
    let login = api.login(&user.person.second_login, &user.person.password);
    assert_eq!(login.status, 200, "{}", login.text);
    let body = login.json();
    user.access_token = body["access_token"].as_str().unwrap().to_string();
    user.refresh_token = body["refresh_token"].as_str().unwrap().to_string();
}

/// A new organization of `kind` (`fleet`, or `firm` as a grocery store),
/// created through the API by staff; its id.
pub fn new_organization(api: &Api, staff: &SignedIn, kind: &str) -> String {
    let mut body = json!({"kind": kind, "name": format!("Org {}", unique_number())});
    if kind == "firm" {
        body["service_type"] = "grocery_store".into();
    }
    let reply = api.bearer(
        "POST",
        "/api/v1/organizations",
        &staff.access_token,
        Some(&body),
    );
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.json()["organization"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Staff appoint `user` head of the organization, through the API.
pub fn appoint_head(api: &Api, staff: &SignedIn, organization: &str, user: &str) {
    let reply = api.bearer(
        "POST",
        &format!("/api/v1/organizations/{organization}/heads"),
        &staff.access_token,
        Some(&json!({"user_id": user})),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
}

/// What a head's add of an existing person answers, whether or not it
/// made an invitation (202).
pub const INVITED_IF_ELIGIBLE: &str = r#"{"status":"invited_if_eligible"}"#;

/// The signed-in user's pending invitations (`GET /auth/invitations`).
pub fn invitations_of(api: &Api, user: &SignedIn) -> Vec<Value> {
    let reply = api.bearer("GET", "/api/v1/auth/invitations", &user.access_token, None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["invitations"].as_array().unwrap().clone()
}

/// `head` invites `user` (by id) into `organization`, and `user` accepts
/// the invitation: the membership, as the acceptance answers it.
pub fn invite_and_accept(api: &Api, head: &SignedIn, organization: &str, user: &SignedIn) -> Value {
    let invited = api.bearer(
        "POST",
        &format!("/api/v1/organizations/{organization}/members"),
        &head.access_token,
        Some(&json!({"user_id": user.user_id})),
    );
    assert_eq!(invited.status, 202, "{}", invited.text);
    let invitation = invitations_of(api, user)
        .into_iter()
        .find(|i| i["organization"]["id"] == organization)
        .expect("an invitation into the organization");
    let accepted = api.bearer(
        "POST",
        &format!(
            "/api/v1/auth/invitations/{}/accept",
            invitation["id"].as_str().unwrap()
        ),
        &user.access_token,
        None,
    );
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    accepted.json()["membership"].clone()
}

/// The claims of a JWT, read without verifying it.
pub fn claims_of(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Which host serves the component in this run: the test command runs the
/// whole suite once under the test host and once under each real Spin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKind {
    TestHost(std::path::PathBuf),
    Spin(std::path::PathBuf),
}

impl HostKind {
    /// From `AUTH_HOST` (`spin` or `test-host`, the default) and the binary
    /// paths the test command passes.
    pub fn of_this_run() -> HostKind {
        match std::env::var("AUTH_HOST").as_deref() {
            Ok("spin") => HostKind::Spin(env("AUTH_SPIN_BIN").into()),
            _ => HostKind::TestHost(env("AUTH_TEST_HOST_BIN").into()),
        }
    }
}

/// The manifest this run serves: `AUTH_MANIFEST` (the test command passes
/// `target/spin-p3.toml` for the WASIp3 build), else `spin.toml` (WASIp2).
pub fn manifest() -> std::path::PathBuf {
    match std::env::var("AUTH_MANIFEST") {
        Ok(path) if !path.is_empty() => repo_root().join(path),
        _ => repo_root().join("spin.toml"),
    }
}

/// Whether this run serves the WASIp3 build (instances reused by Spin).
pub fn serves_p3() -> bool {
    manifest().ends_with("spin-p3.toml")
}

pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A new, empty database `{prefix}_{n}` on the test server: its owner URL.
pub fn empty_database(prefix: &str) -> String {
    let server = env("AUTH_PG_SERVER_URL");
    let name = format!("{prefix}_{}", unique_number());
    let mut admin = postgres::Client::connect(&server, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    server.replacen("/postgres?", &format!("/{name}?"), 1)
}

/// A fresh database with the migrations applied, for a test that needs one
/// of its own (a host started with `SPIN_VARIABLE_DB_URL` set to the
/// service URL uses it): (owner URL, service URL).
pub fn fresh_database(prefix: &str) -> (String, String) {
    let owner = empty_database(prefix);
    let migrated = std::process::Command::new(repo_root().join("sql/migrate"))
        .arg(&owner)
        .output()
        .unwrap();
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    // The service role is the cluster's, with the password the tests gave it.
    let name = owner
        .rsplit_once('/')
        .unwrap()
        .1
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let service = env("AUTH_DB_SERVICE_URL");
    let (head, tail) = service.rsplit_once('/').unwrap();
    let query = tail.split_once('?').map(|(_, q)| q).unwrap_or("");
    (owner, format!("{head}/{name}?{query}"))
}

/// A PostgreSQL server of the test's own (a throwaway cluster on a free
/// loopback port, the migrations applied), for a test that restarts or
/// stops it: the shared server stays up for every other test. Stopped and
/// removed when dropped.
pub struct OwnPostgres {
    pub port: u16,
    dir: std::path::PathBuf,
    /// The database's owner (the cluster's superuser).
    pub owner_url: String,
    /// The service role's URL, for `SPIN_VARIABLE_DB_URL`.
    pub service_url: String,
}

impl OwnPostgres {
    pub fn start() -> OwnPostgres {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("own-pg-{}", unique_number()));
        std::fs::create_dir_all(&dir).unwrap();
        let server = OwnPostgres {
            port,
            dir: dir.clone(),
            owner_url: format!("postgres://postgres@127.0.0.1:{port}/auth?sslmode=disable"),
            service_url: format!(
                "postgres://auth_service:{}@127.0.0.1:{port}/auth?sslmode=disable",
                unique_bytes::<12>().iter().map(|b| format!("{b:02x}")).collect::<String>()
            ),
        };
        if is_root() {
            run(std::process::Command::new("chown").arg("postgres:").arg(&dir));
        }
        // Loopback only and thrown away afterwards: `trust` is enough.
        server.pg_ctl(&["initdb", "-o", "-U postgres --auth=trust -E UTF8 --no-sync"]);
        server.pg_ctl(&["start"]);
        let mut admin = postgres::Client::connect(
            &format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable"),
            postgres::NoTls,
        )
        .unwrap();
        admin.batch_execute("CREATE DATABASE auth").unwrap();
        run(std::process::Command::new(repo_root().join("sql/migrate")).arg(&server.owner_url));
        let mut owner = postgres::Client::connect(&server.owner_url, postgres::NoTls).unwrap();
        owner
            .batch_execute("ALTER ROLE auth_service WITH LOGIN PASSWORD 'unused-under-trust'")
            .unwrap();
        server
    }

    /// The `SPIN_VARIABLE_*` settings that point a host at this server.
    pub fn variables(&self) -> [(&'static str, String); 2] {
        [
            ("SPIN_VARIABLE_DB_URL", self.service_url.clone()),
            ("SPIN_VARIABLE_DB_HOST", format!("127.0.0.1:{}", self.port)),
        ]
    }

    /// A fast restart (`pg_ctl restart -m fast`, as an operator or a
    /// package upgrade does it): every session is ended, the server is
    /// down for a moment, then takes connections again.
    pub fn restart(&self) {
        self.pg_ctl(&["restart", "-m", "fast"]);
    }

    /// Stops the server answering without closing anything (SIGSTOP of the
    /// postmaster and every process it started): connections stay open,
    /// new ones are accepted by the kernel, and no reply ever comes, as
    /// from a server that hangs. Returns the stopped processes' ids for
    /// `resume`.
    pub fn pause(&self) -> Vec<String> {
        let pid_file = self.dir.join("data/postmaster.pid");
        let postmaster = std::fs::read_to_string(&pid_file).unwrap();
        let postmaster = postmaster.lines().next().unwrap().trim().to_string();
        // Its children, from /proc (field 4 of `stat` is the parent's id,
        // after the command name in parentheses).
        let children = std::fs::read_dir("/proc").unwrap().flatten().filter_map(|entry| {
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let after_name = stat.rsplit_once(')')?.1;
            let parent = after_name.split_whitespace().nth(1)?;
            (parent == postmaster).then(|| entry.file_name().to_string_lossy().into_owned())
        });
        let mut pids: Vec<String> = children.collect();
        pids.push(postmaster);
        // A backend may have exited since it was listed: `kill` still stops
        // the others and only says so.
        let _ = std::process::Command::new("kill")
            .arg("-STOP")
            .args(&pids)
            .stderr(std::process::Stdio::null())
            .status();
        pids
    }

    /// Lets the processes `pause` stopped go on.
    pub fn resume(&self, pids: &[String]) {
        let _ = std::process::Command::new("kill")
            .arg("-CONT")
            .args(pids)
            .stderr(std::process::Stdio::null())
            .status();
    }

    /// `pg_ctl` on this cluster, as the `postgres` user when run as root
    /// (PostgreSQL refuses to run as root).
    fn pg_ctl_command(&self) -> std::process::Command {
        let pg_ctl = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's server binaries (tests/support/install.sh)")
            .flatten()
            .map(|e| e.path().join("bin/pg_ctl"))
            .filter(|p| p.exists())
            .max()
            .expect("a pg_ctl");
        let mut command = if is_root() {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(pg_ctl);
            c
        } else {
            std::process::Command::new(pg_ctl)
        };
        command.arg("-D").arg(self.dir.join("data"));
        command
    }

    fn pg_ctl(&self, args: &[&str]) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off",
            self.port,
            self.dir.display()
        );
        let mut command = self.pg_ctl_command();
        command.args(["-w", "-s"]).args(args);
        if args[0] != "initdb" {
            command
                .args(["-o", &options])
                .arg("-l")
                .arg(self.dir.join("log"));
        }
        run(&mut command);
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = self
            .pg_ctl_command()
            .args(["-m", "immediate", "-s", "stop"])
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// Runs a command, failing the test with its output if it fails.
fn run(command: &mut std::process::Command) {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A host of its own (of this run's kind), for tests that need other
/// settings (or a Redis or database they may cut) than the shared one.
/// Killed when dropped.
pub struct OwnHost {
    pub api: Api,
    pub base: String,
    child: std::process::Child,
    state_dir: std::path::PathBuf,
}

impl OwnHost {
    /// Starts the built component with the shared settings plus `overrides`
    /// (`SPIN_VARIABLE_*` names).
    pub fn start(overrides: &[(&str, String)]) -> OwnHost {
        OwnHost::start_with(overrides, &[])
    }

    /// Like `start`, with `--variable name=value` arguments as well (both
    /// Spin and the test host take them, and they win over the environment).
    pub fn start_with(overrides: &[(&str, String)], variables: &[(&str, &str)]) -> OwnHost {
        // A port picked free can be taken again before the host binds it;
        // then the host exits and another port is tried.
        for _ in 0..3 {
            if let Some(host) = OwnHost::try_start(overrides, variables) {
                return host;
            }
        }
        panic!("own host did not start");
    }

    fn try_start(overrides: &[(&str, String)], variables: &[(&str, &str)]) -> Option<OwnHost> {
        let manifest = manifest();
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let state_dir = std::env::temp_dir().join(format!("auth-e2e-host-{port}"));
        let mut command = match HostKind::of_this_run() {
            HostKind::TestHost(bin) => {
                let mut c = std::process::Command::new(bin);
                c.arg("--manifest")
                    .arg(&manifest)
                    .arg("--listen")
                    .arg(&listen);
                c
            }
            HostKind::Spin(bin) => {
                let mut c = std::process::Command::new(bin);
                c.arg("up")
                    .arg("--from")
                    .arg(&manifest)
                    .arg("--listen")
                    .arg(&listen)
                    // Keeps Spin's logs out of the work tree.
                    .arg("--state-dir")
                    .arg(&state_dir);
                // The instance settings the p3 build is served with.
                let flags = std::env::var("AUTH_SPIN_FLAGS").unwrap_or_default();
                c.args(flags.split_whitespace());
                c
            }
        };
        for (name, value) in variables {
            command.arg("--variable").arg(format!("{name}={value}"));
        }
        // A group of its own: `spin up` runs the server as a child process,
        // which must go too when the host is dropped.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        // What the host and the component print, for `log()`.
        std::fs::create_dir_all(&state_dir).expect("a state directory");
        let output = std::fs::File::create(state_dir.join("host-output.log")).expect("a log file");
        command
            .stdout(output.try_clone().expect("the log file twice"))
            .stderr(output);
        for (k, v) in overrides {
            command.env(k, v);
        }
        let child = command.spawn().expect("the host starts");
        let base = format!("http://{listen}");
        let mut host = OwnHost {
            api: Api::at(&base),
            base,
            child,
            state_dir,
        };
        // Spin compiles the component before it listens: wait for an answer.
        let health = format!("{}/api/v1/auth/health", host.base);
        let started = std::time::Instant::now();
        while started.elapsed().as_secs() < 60 {
            if let Ok(Some(_)) = host.child.try_wait() {
                return None;
            }
            if let Ok(reply) = host.api.agent.get(&health).call() {
                if reply.status() == 200 {
                    return Some(host);
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        None
    }
}

impl OwnHost {
    /// The file the component's `stream` ("stdout" or "stderr") goes to:
    /// Spin keeps each under its state directory (and echoes both in its
    /// own output); the test host writes them with its own output.
    pub fn component_log_path(&self, stream: &str) -> std::path::PathBuf {
        match HostKind::of_this_run() {
            HostKind::Spin(_) => self
                .state_dir
                .join("logs")
                .join(format!("auth_{stream}.txt")),
            HostKind::TestHost(_) => self.state_dir.join("host-output.log"),
        }
    }

    /// Everything the host and the component logged so far (Spin also keeps
    /// the component's output under its state directory).
    pub fn log(&self) -> String {
        let mut text = String::new();
        let mut files = vec![self.state_dir.join("host-output.log")];
        if let Ok(entries) = std::fs::read_dir(self.state_dir.join("logs")) {
            files.extend(entries.flatten().map(|e| e.path()));
        }
        for file in files {
            if let Ok(bytes) = std::fs::read(&file) {
                text.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
        text
    }
}

impl Drop for OwnHost {
    fn drop(&mut self) {
        // The whole group: Spin's server process is a child of `spin up`.
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Kept for the test command's check that no log holds a secret.
        if let Ok(dir) = std::env::var("AUTH_OWN_HOST_LOGS") {
            let name = self
                .state_dir
                .file_name()
                .unwrap_or_default()
                .to_string_lossy();
            let _ = std::fs::write(format!("{dir}/{name}.log"), self.log());
        }
        let _ = std::fs::remove_dir_all(&self.state_dir);
    }
}

/// A TCP path to a server that a test can cut and restore, as if the server
/// stopped and came back: cutting closes every open connection through it and
/// refuses new ones until restored.
pub struct Switch {
    pub port: u16,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    open: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl Switch {
    pub fn to(target_port: u16) -> Switch {
        use std::net::{Shutdown, TcpListener, TcpStream};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let open = std::sync::Arc::new(std::sync::Mutex::new(Vec::<TcpStream>::new()));
        let (up_in, open_in) = (up.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !up_in.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", target_port)) else {
                    continue;
                };
                let mut open = open_in.lock().unwrap();
                open.push(client.try_clone().unwrap());
                open.push(server.try_clone().unwrap());
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Switch { port, up, open }
    }

    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// Asks until `done` holds for an answer, for at most `seconds`: for a
/// service that recovers by itself. The last answer is returned either way.
pub fn eventually(
    seconds: u64,
    mut ask: impl FnMut() -> Reply,
    done: impl Fn(&Reply) -> bool,
) -> Reply {
    let started = std::time::Instant::now();
    loop {
        let reply = ask();
        if done(&reply) || started.elapsed().as_secs() >= seconds {
            return reply;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// A Redis server of a test's own on `port` (for one it may stop, or counters
/// no other test touches). The caller kills it.
pub fn start_redis(port: u16) -> std::process::Child {
    wait_for_redis(spawn_redis(port), port).expect("redis did not start")
}

/// redis-server on `port`, in memory only.
fn spawn_redis(port: u16) -> std::process::Child {
    std::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("redis-server runs")
}

/// The child once it answers PING on `port`, or None when it exited first
/// (its port was taken since it was picked: something else may listen
/// there, so a connection alone proves nothing).
fn wait_for_redis(mut child: std::process::Child, port: u16) -> Option<std::process::Child> {
    use std::io::{Read, Write};
    let started = std::time::Instant::now();
    while started.elapsed().as_secs() < 10 {
        if let Ok(Some(_)) = child.try_wait() {
            return None;
        }
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_millis(500)));
            let mut answer = [0u8; 7];
            if stream.write_all(b"PING\r\n").is_ok()
                && stream.read_exact(&mut answer).is_ok()
                && &answer == b"+PONG\r\n"
            {
                return Some(child);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    None
}

/// A Redis of a test's own on `port` that saves its snapshot (on `SAVE`) in
/// `dir` and loads it when it starts: for restarts from an older snapshot.
/// The caller kills it.
pub fn start_redis_saving_in(port: u16, dir: &std::path::Path) -> std::process::Child {
    let child = std::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .args(["--appendonly", "no", "--dbfilename", "dump.rdb"])
        .arg("--dir")
        .arg(dir)
        // Nothing inherited: a server left behind by a failed test must not
        // hold the test run's output open.
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("redis-server runs");
    // Answering PING, not only listening: the snapshot is loaded by then.
    let started = std::time::Instant::now();
    while redis::Client::open(format!("redis://127.0.0.1:{port}"))
        .and_then(|c| c.get_connection())
        .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
        .is_err()
    {
        assert!(started.elapsed().as_secs() < 10, "redis did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child
}

/// The variables that point a host at a Redis on `port`.
pub fn redis_variables(port: u16) -> [(&'static str, String); 2] {
    [
        (
            "SPIN_VARIABLE_REDIS_URL",
            format!("redis://127.0.0.1:{port}"),
        ),
        ("SPIN_VARIABLE_REDIS_HOST", format!("127.0.0.1:{port}")),
    ]
}

/// A Redis of its own, stopped when dropped.
pub struct OwnRedis {
    pub port: u16,
    child: std::process::Child,
}

impl OwnRedis {
    /// On a free port (another, if the one picked is taken before Redis
    /// binds it).
    pub fn start() -> OwnRedis {
        for _ in 0..5 {
            let port = free_port();
            if let Some(child) = wait_for_redis(spawn_redis(port), port) {
                return OwnRedis { port, child };
            }
        }
        panic!("no Redis of its own started");
    }

    /// The variables that point a host at this Redis.
    pub fn variables(&self) -> [(&'static str, String); 2] {
        redis_variables(self.port)
    }

    /// Stops the server where it stands (SIGSTOP): connections stay open,
    /// nothing answers.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a paused server go on (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} failed");
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Makes the user a member of exactly `roles`, behind the API's back.
pub fn set_roles(user_id: &str, roles: &[&str]) {
    let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
    let mut db = admin_db();
    let mut tx = db.transaction().unwrap();
    tx.execute(
        "DELETE FROM accounts.memberships WHERE user_id = $1::text::uuid",
        &[&user_id],
    )
    .unwrap();
    tx.execute(
        "INSERT INTO accounts.memberships (user_id, group_name)
         SELECT $1::text::uuid, unnest($2::text[])",
        &[&user_id, &roles],
    )
    .unwrap();
    tx.commit().unwrap();
}

/// A role of a test's own, described "Test role" (which tests that list
/// roles leave out), granted by `grantor`; tests share one database, so
/// none may change what the roles of SPEC §3 grant.
pub fn new_test_role(grantor: &str) -> String {
    let suffix: String = unique_number()
        .to_string()
        .chars()
        .map(|d| (b'a' + d.to_digit(10).unwrap() as u8) as char)
        .collect();
    let role = format!("test_{suffix}");
    let mut db = admin_db();
    db.execute(
        "INSERT INTO accounts.groups (name, side, description) VALUES ($1, 'client', 'Test role')",
        &[&role],
    )
    .unwrap();
    db.execute(
        "INSERT INTO accounts.grants (grantor_group, grantee_group) VALUES ($1, $2)",
        &[&grantor, &role],
    )
    .unwrap();
    role
}

/// SPEC §3, written out once for the tests: every role …
pub const ROLES: [&str; 9] = [
    "superadmin",
    "support",
    "manager",
    "executor_head",
    "driver",
    "courier",
    "service_head",
    "service_staff",
    "customer",
];

/// … what each may grant …
pub fn spec_grants(role: &str) -> Vec<&'static str> {
    match role {
        "superadmin" => ROLES.to_vec(),
        "manager" => vec![
            "executor_head",
            "service_head",
            "driver",
            "courier",
            "service_staff",
            "customer",
        ],
        "support" => vec!["customer"],
        "executor_head" => vec!["driver", "courier"],
        "service_head" => vec!["service_staff"],
        _ => vec![],
    }
}

/// … and what each interface lets people self-register into.
pub const SELF_REGISTRATION: [(&str, &[&str]); 5] = [
    ("customer_app", &["customer"]),
    ("driver_app", &["driver"]),
    ("courier_app", &["courier"]),
    ("head_console", &[]),
    ("staff_console", &[]),
];

#[cfg(test)]
mod tests {
    use super::Reply;

    #[test]
    fn a_failure_message_shows_no_token() {
        let reply = Reply {
            status: 200,
            headers: vec![],
            text: r#"{"access_token":"eyJ.secret.sig","refresh_token":"r-secret","token_type":"bearer"}"#
                .into(),
        };
        let shown = reply.shown();
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("bearer"), "{shown}");
    }
}

/// How the fake SMS gateway answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayMode {
    /// Takes every message, as its format says.
    Takes,
    /// 500 for everything.
    Fails,
    /// Answers nothing until long past any timeout.
    Hangs,
    /// SMS.ru's way of refusing: 200 with `"status": "ERROR"`.
    RefusesWith200,
    /// Takes the message but answers with a body of 1 MiB, far past what
    /// a gateway's answer may be (64 KiB).
    AnswersTooMuch,
}

/// One message the fake gateway received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A real HTTP server on loopback speaking one gateway format (`webhook`,
/// `twilio` or `smsru`): it records what it receives and answers as its
/// mode says.
pub struct FakeGateway {
    pub kind: &'static str,
    pub port: u16,
    mode: std::sync::Arc<std::sync::Mutex<GatewayMode>>,
    received: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
}

pub const GATEWAY_TOKEN: &str = "gateway-test-token";
pub const TWILIO_ACCOUNT: &str = "AC00000000000000000000000000000000";

impl FakeGateway {
    pub fn start(kind: &'static str) -> FakeGateway {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mode = std::sync::Arc::new(std::sync::Mutex::new(GatewayMode::Takes));
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (mode_in, received_in) = (mode.clone(), received.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (mode, received) = (mode_in.clone(), received_in.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                    let mut headers = Vec::new();
                    loop {
                        let mut header = String::new();
                        if reader.read_line(&mut header).unwrap_or(0) == 0 {
                            return;
                        }
                        let header = header.trim_end();
                        if header.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = header.split_once(':') {
                            headers.push((k.trim().to_lowercase(), v.trim().to_string()));
                        }
                    }
                    let header = |name: &str| {
                        headers
                            .iter()
                            .find(|(k, _)| k == name)
                            .map(|(_, v)| v.clone())
                    };
                    let mut body = Vec::new();
                    if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
                        loop {
                            let mut size = String::new();
                            if reader.read_line(&mut size).unwrap_or(0) == 0 {
                                return;
                            }
                            let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
                            let mut chunk = vec![0; size + 2];
                            if reader.read_exact(&mut chunk).is_err() {
                                return;
                            }
                            if size == 0 {
                                break;
                            }
                            body.extend_from_slice(&chunk[..size]);
                        }
                    } else {
                        let length: usize = header("content-length")
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(0);
                        body = vec![0; length];
                        if reader.read_exact(&mut body).is_err() {
                            return;
                        }
                    }
                    let message = Received {
                        path,
                        headers,
                        body,
                    };
                    let mode = *mode.lock().unwrap();
                    let (status, answer) = match (mode, kind) {
                        (GatewayMode::Hangs, _) => {
                            std::thread::sleep(std::time::Duration::from_secs(30));
                            return;
                        }
                        (GatewayMode::Fails, _) => (500, r#"{"error":"down"}"#.to_string()),
                        (GatewayMode::RefusesWith200, _) => (
                            200,
                            r#"{"status":"ERROR","status_code":201,"status_text":"Не хватает средств"}"#
                                .to_string(),
                        ),
                        (GatewayMode::AnswersTooMuch, _) => (
                            202,
                            format!(r#"{{"queued":true,"pad":"{}"}}"#, "x".repeat(1 << 20)),
                        ),
                        (GatewayMode::Takes, "twilio") => {
                            (201, r#"{"sid":"SM0123","status":"queued"}"#.to_string())
                        }
                        (GatewayMode::Takes, "smsru") => {
                            let to = message.form("to").unwrap_or_default();
                            (
                                200,
                                format!(
                                    r#"{{"status":"OK","status_code":100,"sms":{{"{to}":{{"status":"OK","status_code":100,"sms_id":"1"}}}}}}"#
                                ),
                            )
                        }
                        (GatewayMode::Takes, _) => (202, r#"{"queued":true}"#.to_string()),
                    };
                    received.lock().unwrap().push(message);
                    let mut stream = stream;
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                        answer.len()
                    );
                });
            }
        });
        FakeGateway {
            kind,
            port,
            mode,
            received,
        }
    }

    pub fn set_mode(&self, mode: GatewayMode) {
        *self.mode.lock().unwrap() = mode;
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The last code sent to `phone` (E.164), read from the SMS text.
    pub fn code_for(&self, phone: &str) -> Option<String> {
        self.received()
            .iter()
            .rev()
            .filter(|m| m.to().as_deref() == Some(phone))
            .find_map(|m| {
                let text = m.text()?;
                let digits: Vec<char> = text.chars().collect();
                digits.windows(6).find_map(|w| {
                    w.iter()
                        .all(|c| c.is_ascii_digit())
                        .then(|| w.iter().collect::<String>())
                })
            })
    }

    /// The `SPIN_VARIABLE_*` settings that point a host at this gateway.
    pub fn variables(&self) -> Vec<(&'static str, String)> {
        let origin = format!("http://127.0.0.1:{}", self.port);
        let url = match self.kind {
            "webhook" => format!("{origin}/send"),
            _ => origin.clone(),
        };
        vec![
            ("SPIN_VARIABLE_SMS_GATEWAY", self.kind.to_string()),
            ("SPIN_VARIABLE_SMS_GATEWAY_URL", url),
            ("SPIN_VARIABLE_SMS_GATEWAY_ORIGIN", origin),
            ("SPIN_VARIABLE_SMS_GATEWAY_TOKEN", GATEWAY_TOKEN.to_string()),
            (
                "SPIN_VARIABLE_SMS_GATEWAY_ACCOUNT",
                TWILIO_ACCOUNT.to_string(),
            ),
            ("SPIN_VARIABLE_SMS_SENDER", "+15005550006".to_string()),
            ("SPIN_VARIABLE_SMS_GATEWAY_TIMEOUT_MS", "1500".to_string()),
        ]
    }
}

impl Received {
    fn form(&self, name: &str) -> Option<String> {
        url_form(&self.body)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// The number the message is for, as E.164.
    pub fn to(&self) -> Option<String> {
        if let Ok(json) = serde_json::from_slice::<Value>(&self.body) {
            return json["to"].as_str().map(str::to_string);
        }
        self.form("To")
            .or_else(|| self.form("to").map(|n| format!("+{n}")))
    }

    pub fn text(&self) -> Option<String> {
        if let Ok(json) = serde_json::from_slice::<Value>(&self.body) {
            return json["text"].as_str().map(str::to_string);
        }
        self.form("Body").or_else(|| self.form("msg"))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `application/x-www-form-urlencoded` pairs, decoded.
fn url_form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// A `verify_phone` proof of `phone` for user `user_id`, as if their code
/// had been verified: written behind the API's back, for tests about what a
/// proof allows rather than how one is got (`PhoneCodes::phone_proof` gets
/// one through the API). `phone` is E.164 or a Russian number in its
/// national form (8 …); for anything else the proof proves nothing.
pub fn phone_proof(user_id: &str, phone: &str) -> String {
    use sha2::{Digest, Sha256};
    let digits: String = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    let proof: String = unique_bytes::<32>()
        .iter()
        .map(|b| (b'a' + b % 26) as char)
        .chain(std::iter::repeat('x'))
        .take(43)
        .collect();
    let e164 = match (phone.trim_start().starts_with('+'), digits.len()) {
        (true, _) => format!("+{digits}"),
        (false, 11) => format!("+7{}", &digits[1..]),
        _ => return proof,
    };
    let digest = Sha256::digest(proof.as_bytes()).to_vec();
    admin_db()
        .execute(
            "INSERT INTO auth.otp_proofs (proof_digest, phone, purpose, user_id, expires_at)
             VALUES ($1, $2, 'verify_phone', $3::text::uuid, now() + interval '10 minutes')",
            &[&digest, &e164, &user_id],
        )
        .unwrap();
    proof
}

/// A host that sends phone codes through a fake gateway, and what a test
/// does with codes: ask, read from the gateway, verify, anonymously or
/// signed in (Bearer).
pub struct PhoneCodes {
    pub gateway: FakeGateway,
    pub host: OwnHost,
}

impl PhoneCodes {
    /// A webhook gateway and a host of its own with `extra` settings (no
    /// resend delay unless they set one).
    pub fn start(extra: &[(&'static str, &str)]) -> PhoneCodes {
        let gateway = FakeGateway::start("webhook");
        let mut settings = gateway.variables();
        settings.push(("SPIN_VARIABLE_OTP_RESPONSE_FLOOR_MS", "150".to_string()));
        settings.push(("SPIN_VARIABLE_OTP_RESEND_SECONDS", "0".to_string()));
        for (name, value) in extra {
            settings.retain(|(n, _)| n != name);
            settings.push((name, value.to_string()));
        }
        let host = OwnHost::start(&settings);
        PhoneCodes { gateway, host }
    }

    pub fn api(&self) -> &Api {
        &self.host.api
    }

    /// `POST /auth/otp/request`, as `token`'s user when given.
    pub fn ask(&self, token: Option<&str>, body: &Value) -> Reply {
        match token {
            Some(token) => self
                .api()
                .bearer("POST", "/api/v1/auth/otp/request", token, Some(body)),
            None => self.api().post_json("/api/v1/auth/otp/request", body),
        }
    }

    /// `POST /auth/otp/verify`, as `token`'s user when given.
    pub fn verify(&self, token: Option<&str>, body: &Value) -> Reply {
        match token {
            Some(token) => self
                .api()
                .bearer("POST", "/api/v1/auth/otp/verify", token, Some(body)),
            None => self.api().post_json("/api/v1/auth/otp/verify", body),
        }
    }

    /// How many SMS the gateway has taken for `phone`.
    pub fn sent_to(&self, phone: &str) -> usize {
        self.gateway
            .received()
            .iter()
            .filter(|m| m.to().as_deref() == Some(phone))
            .count()
    }

    /// A `verify_phone` proof of `phone` for `token`'s user: a code asked
    /// for and verified through the API.
    pub fn phone_proof(&self, token: &str, phone: &str) -> String {
        let before = self.sent_to(phone);
        let asked = self.ask(
            Some(token),
            &json!({"phone": phone, "purpose": "verify_phone"}),
        );
        assert_eq!(asked.status, 202, "{}", asked.text);
        assert_eq!(self.sent_to(phone), before + 1, "the code went to {phone}");
        let code = self.gateway.code_for(phone).unwrap();
        let proven = self.verify(
            Some(token),
            &json!({"phone": phone, "purpose": "verify_phone", "code": code}),
        );
        assert_eq!(proven.status, 200, "{}", proven.text);
        proven.json()["phone_proof"].as_str().unwrap().to_string()
    }

    /// Verifies the signed-in user's own current phone through the API
    /// (a `verify_phone` code to it), so that it receives login and
    /// reauth codes.
    pub fn verify_own_phone(&self, user: &SignedIn) {
        let proof = self.phone_proof(&user.access_token, &user.person.phone);
        let added = self.api().bearer(
            "POST",
            "/api/v1/auth/contacts",
            &user.access_token,
            Some(&json!({"type": "phone", "value": user.person.phone, "phone_proof": proof})),
        );
        assert_eq!(added.status, 201, "{}", added.text);
        assert_eq!(added.json()["contact"]["verified"], true);
    }

    /// A `reauth` proof for `token`'s user: a code to their verified
    /// phone (`phone`), asked for and verified through the API.
    pub fn reauth_proof(&self, token: &str, phone: &str) -> String {
        let before = self.sent_to(phone);
        let asked = self.ask(Some(token), &json!({"purpose": "reauth"}));
        assert_eq!(asked.status, 202, "{}", asked.text);
        assert_eq!(
            self.sent_to(phone),
            before + 1,
            "the reauth code went to {phone}"
        );
        let code = self.gateway.code_for(phone).unwrap();
        let proven = self.verify(Some(token), &json!({"purpose": "reauth", "code": code}));
        assert_eq!(proven.status, 200, "{}", proven.text);
        proven.json()["reauth_proof"].as_str().unwrap().to_string()
    }
}
