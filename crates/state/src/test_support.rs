//! [`PostgresServer`]: a throwaway PostgreSQL server on loopback for tests, started
//! with `scripts/start-postgres.sh` in a temporary directory on a free port and
//! stopped when dropped. Built for this crate's tests and, with the `test-support`
//! feature, for other crates' tests.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A PostgreSQL server of its own for one test.
pub struct PostgresServer {
    script: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl PostgresServer {
    /// Starts one (installing PostgreSQL through the script when it is missing). The
    /// error says why it could not, with the script's output.
    pub fn start() -> Result<PostgresServer, String> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/start-postgres.sh");
        if !script.exists() {
            return Err(format!("{} is missing", script.display()));
        }
        let mut last = String::new();
        for _ in 0..3 {
            // The server's Unix socket goes in the directory: keep its path short.
            let dir = tempfile::Builder::new()
                .prefix("pg")
                .tempdir_in(short_tmp())
                .map_err(|e| format!("temporary directory: {e}"))?;
            let port = free_port()?;
            let server = PostgresServer {
                script: script.clone(),
                dir,
                port,
            };
            match server.run("start", &["-p", &port.to_string()]) {
                Ok(()) => return Ok(server),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Like [`start`](Self::start), but a failure panics with a message that says
    /// what to install: tests that need PostgreSQL fail, they are never skipped.
    pub fn start_or_panic() -> PostgresServer {
        PostgresServer::start().unwrap_or_else(|e| {
            panic!(
                "PostgreSQL could not be started for this test (install Debian's `postgresql` \
                 package, or set PG_BIN to a directory with initdb and pg_ctl): {e}"
            )
        })
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres` (trust authentication).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server (its data stays, for [`restart`](Self::restart)).
    pub fn stop(&self) -> Result<(), String> {
        self.run("stop", &[])
    }

    /// Starts it again on the same port with the same data.
    pub fn restart(&self) -> Result<(), String> {
        self.run("start", &["-p", &self.port.to_string()])
    }

    fn run(&self, cmd: &str, args: &[&str]) -> Result<(), String> {
        let out = Command::new("bash")
            .arg(&self.script)
            .arg(cmd)
            .arg("-d")
            .arg(self.dir.path())
            .args(args)
            .output()
            .map_err(|e| format!("running {}: {e}", self.script.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} {cmd} failed ({}): {}{}",
                self.script.display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// A temporary directory whose paths stay well inside a Unix socket's limit.
fn short_tmp() -> PathBuf {
    let tmp = std::env::temp_dir();
    if tmp.as_os_str().len() <= 40 || !Path::new("/tmp").is_dir() {
        tmp
    } else {
        PathBuf::from("/tmp")
    }
}

/// A loopback port nothing listens on now.
fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}
