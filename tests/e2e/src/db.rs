//! The databases: the shared test database (as its owner and as the
//! service), fresh databases and whole PostgreSQL servers of a test's own,
//! and roles set straight in the database.

use crate::*;

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
                unique_bytes::<12>()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            ),
        };
        if is_root() {
            run(std::process::Command::new("chown")
                .arg("postgres:")
                .arg(&dir));
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
        let children = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|entry| {
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
