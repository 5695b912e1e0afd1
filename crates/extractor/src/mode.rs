//! Where extraction runs ([`Mode`]) and how the worker program is found, with the
//! parser thread's stack size shared by the worker and the in-process fallback.

use std::ffi::OsString;
use std::path::PathBuf;

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
        /// The worker program.
        program: PathBuf,
        /// Its arguments (e.g. `extract-worker` for `jira-index`).
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
