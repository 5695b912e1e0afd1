//! Attachment text extraction ([`content::extract`]) run in child processes, so that a
//! parser that hangs or crashes — a stack overflow on deeply nested HTML, a PDF form
//! that draws itself, an abort — costs one attachment, reported, and never the
//! process (`serve` included).
//!
//! A pool of worker processes (`jira-index extract-worker`, or the
//! `jira-index-extract` binary) is kept warm; each request is sent on the worker's
//! stdin and answered on its stdout ([`wire`]). A worker that does not answer within
//! the file's timeout plus a grace period is killed (the hard limit: the cooperative
//! deadline inside the parsers is the soft one); a worker that dies is reported as
//! [`ExtractError::Crashed`] with its signal and last stderr line. Workers run the
//! parsers on a thread with a big stack, so legitimately deep documents still parse.
//!
//! Where no worker program can be found (a library user, `cargo test -p` of another
//! crate), extraction runs in-process on a big-stack thread, and a warning says that
//! a crashing parser can then take the process down.

mod pool;
mod wire;

use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::sync::OnceLock;

use content::{ExtractError, ExtractLimits, Extracted};

pub use pool::{Extractor, KILL_GRACE};

/// Stack of the thread that runs the parsers, in the worker and in-process.
pub const PARSER_STACK_BYTES: usize = 256 * 1024 * 1024;

/// The environment variable naming the worker program (`in-process` turns isolation
/// off).
pub const WORKER_ENV: &str = "JIRA_INDEX_EXTRACTOR";

/// The worker binary looked for beside the running executable.
pub const WORKER_BIN: &str = "jira-index-extract";

/// How extraction runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// In child processes started as `program args…`.
    Process {
        program: PathBuf,
        args: Vec<OsString>,
    },
    /// In this process (no protection against a crashing parser).
    InProcess,
}

impl Mode {
    /// [`WORKER_ENV`] if set, else [`WORKER_BIN`] beside the running executable (or
    /// one directory up, where cargo puts binaries next to `deps/`), else in-process.
    pub fn discover() -> Mode {
        if let Some(value) = std::env::var_os(WORKER_ENV) {
            if value == "in-process" {
                return Mode::InProcess;
            }
            return Mode::Process {
                program: value.into(),
                args: Vec::new(),
            };
        }
        let Ok(exe) = std::env::current_exe() else {
            return Mode::InProcess;
        };
        let name = format!("{WORKER_BIN}{}", std::env::consts::EXE_SUFFIX);
        exe.ancestors()
            .skip(1)
            .take(2)
            .map(|dir| dir.join(&name))
            .find(|p| p.is_file())
            .map_or(Mode::InProcess, |program| Mode::Process {
                program,
                args: Vec::new(),
            })
    }
}

static GLOBAL: OnceLock<Extractor> = OnceLock::new();

/// Sets the process-wide extractor's worker command (the `jira-index` binary names
/// itself). Returns `false` when the extractor was already set up.
pub fn set_worker_command(program: PathBuf, args: Vec<OsString>) -> bool {
    GLOBAL
        .set(Extractor::new(Mode::Process { program, args }))
        .is_ok()
}

/// The process-wide extractor ([`Mode::discover`] unless set before first use).
pub fn global() -> &'static Extractor {
    GLOBAL.get_or_init(|| Extractor::new(Mode::discover()))
}

/// [`content::extract`] under the process-wide extractor's isolation.
pub fn extract(
    bytes: &[u8],
    file_name: &str,
    limits: &ExtractLimits,
) -> Result<Extracted, ExtractError> {
    global().extract(bytes, file_name, limits)
}

/// The worker loop: reads requests on stdin until it closes, answers each on stdout.
/// The parsers run on a thread with a [`PARSER_STACK_BYTES`] stack.
pub fn serve_stdio() -> io::Result<()> {
    let worker = std::thread::Builder::new()
        .name("extract".into())
        .stack_size(PARSER_STACK_BYTES)
        .spawn(|| serve(io::stdin().lock(), io::stdout().lock()))?;
    worker
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the extraction thread panicked")))
}

fn serve(input: impl Read, mut output: impl Write) -> io::Result<()> {
    let mut input = BufReader::new(input);
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let request: wire::Request = serde_json::from_str(&line).map_err(io::Error::other)?;
        if request.len > request.limits.max_input_bytes {
            return Err(io::Error::other("request larger than its own limit"));
        }
        let mut bytes = vec![0; request.len];
        input.read_exact(&mut bytes)?;
        let answer: wire::Answer =
            content::extract(&bytes, &request.file_name, &request.limits).into();
        serde_json::to_writer(&mut output, &answer).map_err(io::Error::other)?;
        output.write_all(b"\n")?;
        output.flush()?;
    }
}
