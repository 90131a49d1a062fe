//! Hosts serving the built component: the shared one the test command
//! started, hosts of a test's own (`OwnHost`) with other settings, and a
//! switch that cuts a host's way to a server.

use crate::*;
use std::sync::atomic::Ordering;

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
