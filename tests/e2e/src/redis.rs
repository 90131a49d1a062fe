//! Redis servers of a test's own: started, paused, or saving to disk.

use crate::*;

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
    while ::redis::Client::open(format!("redis://127.0.0.1:{port}"))
        .and_then(|c| c.get_connection())
        .and_then(|mut c| ::redis::cmd("PING").query::<String>(&mut c))
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
