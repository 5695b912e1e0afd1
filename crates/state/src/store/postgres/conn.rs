//! One PostgreSQL connection owned by a dedicated OS thread ([`PgConn`]).
//!
//! The sync `postgres::Client` drives its connection on a private tokio runtime and
//! panics when used (or dropped) on a thread that runs a tokio runtime — and the
//! state store is called from async fns, `spawn_blocking` tasks and plain threads
//! alike. So the client never leaves its thread: a call sends a job over a std
//! channel and blocks on a reply channel, which is safe on any thread (it blocks a
//! runtime worker for the length of one query, as SQLite always did).
//!
//! Lost connections: a connection idle for a moment is checked before use and
//! replaced when dead; a call that fails because the connection went away drops it,
//! so the next call connects again (a server restart needs no process restart), and
//! a call marked [`Retry::Once`] (idempotent work) is run once more on the fresh
//! connection. A connection made for the worker lock never reconnects: a new
//! connection would not hold the lock.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

use crate::error::StateError;

/// How long a connection may sit unused before it is checked before the next call.
const IDLE_CHECK: Duration = Duration::from_millis(200);
/// How long that check, and a connection attempt, may take.
const PING_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a job can fail with: the database, or anything else the store reports.
pub(crate) enum Fail {
    /// The server or the client library.
    Pg(postgres::Error),
    /// Anything else (a record that does not parse, a value that does not encode).
    State(StateError),
}

impl From<postgres::Error> for Fail {
    fn from(e: postgres::Error) -> Self {
        Fail::Pg(e)
    }
}

impl From<StateError> for Fail {
    fn from(e: StateError) -> Self {
        Fail::State(e)
    }
}

/// Whether a call may run again on a new connection after the old one was lost.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Idempotent work: run again once.
    Once,
    /// Work that must not run twice (an append, a take): fail, the next call reconnects.
    Never,
}

/// Where to connect, and how the database is named in messages.
#[derive(Clone)]
pub(crate) struct Target {
    config: postgres::Config,
    /// `postgres://user@host:port/name`, never a password.
    pub label: String,
}

/// Only the label: the config may hold the password.
impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("label", &self.label)
            .finish()
    }
}

impl Target {
    /// The target of `url` (no password in it) with `password`.
    pub fn new(url: &str, password: Option<&str>) -> Result<Target, StateError> {
        let mut config: postgres::Config = url.parse().map_err(|e| StateError::Postgres {
            database: redact(url),
            source: e,
        })?;
        if let Some(p) = password {
            config.password(p);
        }
        if config.get_application_name().is_none() {
            config.application_name("jira-index");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        // A peer gone without a word is noticed in about a minute, not two hours.
        config.keepalives_idle(Duration::from_secs(30));
        let label = label(&config);
        Ok(Target { config, label })
    }
}

/// `url` without a password or query parameters (which may hold one).
fn redact(url: &str) -> String {
    let base = url.split('?').next().unwrap_or_default();
    let Some((scheme, rest)) = base.split_once("://") else {
        return "postgres (the [state] url does not parse)".into();
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => format!("{}@{host}", user.split(':').next().unwrap_or_default()),
        None => authority.to_string(),
    };
    format!("{scheme}://{authority}/{path}")
}

/// `postgres://user@host:port/name` of a parsed config.
fn label(c: &postgres::Config) -> String {
    use postgres::config::Host;
    let host = match c.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = c.get_ports().first().copied().unwrap_or(5432);
    let user = c.get_user().unwrap_or_default();
    let db = c.get_dbname().unwrap_or(user);
    format!("postgres://{user}@{host}:{port}/{db}")
}

/// Whether `e` means the connection is gone (as opposed to a refused statement).
fn connection_lost(e: &postgres::Error, client: &Client) -> bool {
    if client.is_closed() || e.is_closed() {
        return true;
    }
    if let Some(db) = e.as_db_error() {
        // Class 08: connection exception; 57P0x: the server is shutting down,
        // crashed or cannot connect now (admin_shutdown, crash_shutdown, ...).
        let code = db.code().code();
        return code.starts_with("08") || code.starts_with("57P");
    }
    // Everything else below the driver is I/O on the socket.
    std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
}

type Job = Box<dyn FnOnce(&mut Session) + Send>;

/// The connection thread's state.
struct Session {
    target: Target,
    client: Option<Client>,
    last_used: Instant,
    /// Whether a lost connection is replaced (not for the worker lock's).
    reconnect: bool,
    /// Whether a connection was ever made.
    connected: bool,
}

impl Session {
    /// A live client: the current one, checked when it sat idle, else a new one.
    fn client(&mut self) -> Result<&mut Client, Fail> {
        let stale = match &mut self.client {
            Some(c) => {
                c.is_closed()
                    || (self.last_used.elapsed() > IDLE_CHECK && c.is_valid(PING_TIMEOUT).is_err())
            }
            None => false,
        };
        if stale {
            self.client = None;
        }
        if self.client.is_none() {
            if self.connected && !self.reconnect {
                return Err(Fail::State(StateError::Backend {
                    database: self.target.label.clone(),
                    detail: "the connection was lost".into(),
                }));
            }
            let client = self.target.config.connect(NoTls)?;
            self.connected = true;
            self.client = Some(client);
        }
        self.last_used = Instant::now();
        Ok(self.client.as_mut().expect("connected above"))
    }

    fn run<T>(
        &mut self,
        retry: Retry,
        f: &dyn Fn(&mut Client) -> Result<T, Fail>,
    ) -> Result<T, Fail> {
        let mut again = retry == Retry::Once && self.reconnect;
        loop {
            let client = self.client()?;
            let out = f(client);
            self.last_used = Instant::now();
            match out {
                Err(Fail::Pg(e))
                    if self.client.as_ref().is_some_and(|c| connection_lost(&e, c)) =>
                {
                    self.client = None;
                    if again {
                        again = false;
                        tracing::info!(database = %self.target.label, error = %e, "state database connection lost; reconnecting");
                        continue;
                    }
                    return Err(Fail::Pg(e));
                }
                out => return out,
            }
        }
    }
}

/// A PostgreSQL connection on its own thread.
pub(crate) struct PgConn {
    label: String,
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl PgConn {
    /// Starts the thread and connects (failing when the server cannot be reached).
    /// `reconnect`: whether a lost connection is replaced by a new one.
    pub fn open(target: &Target, reconnect: bool) -> Result<PgConn, StateError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let mut session = Session {
            target: target.clone(),
            client: None,
            last_used: Instant::now(),
            reconnect,
            connected: false,
        };
        let thread = std::thread::Builder::new()
            .name("state-postgres".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    // A panicking job drops its reply (the caller gets an error) and
                    // the connection, whose state is then unknown; the thread goes on.
                    if std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut session))).is_err() {
                        session.client = None;
                    }
                }
            })
            .map_err(|e| StateError::Backend {
                database: target.label.clone(),
                detail: format!("starting the connection thread: {e}"),
            })?;
        let conn = PgConn {
            label: target.label.clone(),
            jobs: Some(tx),
            thread: Some(thread),
        };
        conn.call(Retry::Never, |_| Ok(()))?;
        Ok(conn)
    }

    /// The database, for messages.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Runs `f` with the connection on its thread and waits for the answer.
    pub fn call<T: Send + 'static>(
        &self,
        retry: Retry,
        f: impl Fn(&mut Client) -> Result<T, Fail> + Send + 'static,
    ) -> Result<T, StateError> {
        let gone = || StateError::Backend {
            database: self.label.clone(),
            detail: "the connection thread stopped".into(),
        };
        let (reply, answer) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |s: &mut Session| {
            let _ = reply.send(s.run(retry, &f));
        });
        self.jobs
            .as_ref()
            .ok_or_else(gone)?
            .send(job)
            .map_err(|_| gone())?;
        match answer.recv().map_err(|_| gone())? {
            Ok(v) => Ok(v),
            Err(Fail::Pg(source)) => Err(StateError::Postgres {
                database: self.label.clone(),
                source,
            }),
            Err(Fail::State(e)) => Err(e),
        }
    }
}

impl Drop for PgConn {
    fn drop(&mut self) {
        // Closing the channel ends the thread, which closes the connection.
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_never_show_a_password() {
        assert_eq!(
            redact("postgres://u:secret@db:5432/x?password=secret"),
            "postgres://u@db:5432/x"
        );
        let t = Target::new("postgres://u@db:6543/x", Some("secret")).unwrap();
        assert_eq!(t.label, "postgres://u@db:6543/x");
        let err = Target::new("postgres://u@db:notaport/x", Some("secret")).unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
    }
}
