//! Attachment text extraction ([`content::extract`]) run in child processes, so that a
//! parser that hangs or crashes — a stack overflow on deeply nested HTML, a PDF form
//! that draws itself, an abort — costs one attachment, reported, and never the
//! process (`serve` included).
//!
//! A pool of worker processes (`jira-index extract-worker`, or the
//! `jira-index-extract` binary) is kept warm; each request is sent on the worker's
//! stdin and answered on its stdout (the `wire` module). A worker that does not answer within
//! the file's timeout plus a grace period is killed (the hard limit: the cooperative
//! deadline inside the parsers is the soft one); a worker that dies is reported as
//! [`ExtractError::Crashed`] with its signal and last stderr line. Workers run the
//! parsers on a thread with a big stack, so legitimately deep documents still parse.
//!
//! Where no worker program can be found (a library user, `cargo test -p` of another
//! crate), extraction runs in-process on a big-stack thread, and a warning says that
//! a crashing parser can then take the process down.

#![warn(missing_docs)]

mod mode;
mod pool;
mod wire;

use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::sync::OnceLock;

use content::{ExtractError, ExtractLimits, Extracted};

pub use mode::{Mode, PARSER_STACK_BYTES, WORKER_BIN, WORKER_ENV};
pub use pool::{Extractor, KILL_GRACE};

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
