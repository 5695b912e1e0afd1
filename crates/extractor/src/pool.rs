//! The pool of warm worker processes and the hard time limit.

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use content::{ExtractError, ExtractLimits, Extracted};

use crate::mode::{Mode, PARSER_STACK_BYTES};
use crate::wire;

/// Added to a file's timeout before its worker is killed: the parsers check the
/// deadline themselves and answer `Timeout` soon after it, so only a stuck parser
/// meets the kill.
pub const KILL_GRACE: Duration = Duration::from_secs(2);

/// Runs extractions in worker processes (or in-process, see [`Mode`]).
pub struct Extractor {
    mode: Mode,
    idle: Mutex<Vec<Worker>>,
    max_idle: usize,
    warned: AtomicBool,
}

impl Extractor {
    /// An extractor running in `mode`, with no worker started yet (workers start on
    /// first use and are kept warm).
    pub fn new(mode: Mode) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            mode,
            idle: Mutex::new(Vec::new()),
            max_idle: cores * 2,
            warned: AtomicBool::new(false),
        }
    }

    /// Where extraction runs.
    pub fn mode(&self) -> &Mode {
        &self.mode
    }

    /// `true` when extraction runs in child processes.
    pub fn is_isolated(&self) -> bool {
        matches!(self.mode, Mode::Process { .. })
    }

    /// [`content::extract`], in a worker process: a worker that overruns
    /// `limits.timeout` by [`KILL_GRACE`] is killed ([`ExtractError::Timeout`]); one
    /// that dies gives [`ExtractError::Crashed`]. Blocks; call it off async threads.
    pub fn extract(
        &self,
        bytes: &[u8],
        file_name: &str,
        limits: &ExtractLimits,
    ) -> Result<Extracted, ExtractError> {
        // Refused before any parsing, so there is nothing to isolate.
        if bytes.len() > limits.max_input_bytes {
            return content::extract(bytes, file_name, limits);
        }
        let Mode::Process { .. } = &self.mode else {
            return in_process(bytes, file_name, limits);
        };
        let worker = match self.worker(bytes, file_name, limits) {
            Ok(w) => w,
            Err(e) => {
                if !self.warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!(error = %e, mode = ?self.mode, "cannot start an extraction worker; extracting in-process, where a crashing parser takes the process down");
                }
                return in_process(bytes, file_name, limits);
            }
        };
        match worker.answers.recv_timeout(limits.timeout + KILL_GRACE) {
            Ok(Ok(line)) => match serde_json::from_str::<wire::Answer>(&line) {
                Ok(answer) => {
                    self.put_back(worker);
                    answer.into()
                }
                Err(e) => {
                    worker.kill();
                    Err(ExtractError::Crashed {
                        detail: format!("the extraction worker gave an unreadable answer: {e}"),
                    })
                }
            },
            Err(RecvTimeoutError::Timeout) => {
                worker.kill();
                Err(ExtractError::Timeout(limits.timeout))
            }
            Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => Err(ExtractError::Crashed {
                detail: worker.death(),
            }),
        }
    }

    /// A worker that has been sent the request: an idle one, or a new one when none is
    /// idle or the idle one turns out to have died.
    fn worker(&self, bytes: &[u8], file_name: &str, limits: &ExtractLimits) -> io::Result<Worker> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        if let Some(mut worker) = idle {
            if worker.send(bytes, file_name, limits).is_ok() {
                return Ok(worker);
            }
            worker.kill();
        }
        let Mode::Process { program, args } = &self.mode else {
            return Err(io::Error::other("not in process mode"));
        };
        let mut worker = Worker::spawn(program, args)?;
        worker.send(bytes, file_name, limits)?;
        Ok(worker)
    }

    fn put_back(&self, worker: Worker) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < self.max_idle {
            idle.push(worker);
        } else {
            drop(idle);
            worker.close();
        }
    }
}

impl Drop for Extractor {
    fn drop(&mut self) {
        let idle = std::mem::take(self.idle.get_mut().unwrap_or_else(|p| p.into_inner()));
        for worker in idle {
            worker.close();
        }
    }
}

/// Runs `content::extract` on a thread with a big stack.
fn in_process(
    bytes: &[u8],
    file_name: &str,
    limits: &ExtractLimits,
) -> Result<Extracted, ExtractError> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("extract".into())
            .stack_size(PARSER_STACK_BYTES)
            .spawn_scoped(scope, || content::extract(bytes, file_name, limits))
            .map_err(|e| ExtractError::Crashed {
                detail: format!("cannot start the extraction thread: {e}"),
            })?
            .join()
            .unwrap_or_else(|_| {
                Err(ExtractError::Crashed {
                    detail: "the extraction thread panicked".into(),
                })
            })
    })
}

/// Lines of stderr kept from a worker, to say why it died.
const STDERR_LINES: usize = 8;

struct Worker {
    child: Child,
    stdin: ChildStdin,
    answers: Receiver<io::Result<String>>,
    stderr: Arc<Mutex<VecDeque<String>>>,
}

impl Worker {
    fn spawn(program: &std::path::Path, args: &[std::ffi::OsString]) -> io::Result<Worker> {
        let mut child = Command::new(program)
            .args(args)
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let (stdin, stdout, stderr) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(i), Some(o), Some(e)) => (i, o, e),
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(io::Error::other("worker pipes missing"));
                }
            };
        let (tx, answers) = mpsc::channel();
        std::thread::Builder::new()
            .name("extract-answers".into())
            .spawn(move || {
                let mut reader = BufReader::new(stdout);
                loop {
                    let mut line = String::new();
                    let result = match reader.read_line(&mut line) {
                        Ok(0) => Err(io::ErrorKind::UnexpectedEof.into()),
                        Ok(_) => Ok(line),
                        Err(e) => Err(e),
                    };
                    let end = result.is_err();
                    if tx.send(result).is_err() || end {
                        return;
                    }
                }
            })?;
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let keep = Arc::clone(&tail);
        std::thread::Builder::new()
            .name("extract-stderr".into())
            .spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { return };
                    let mut tail = keep.lock().unwrap_or_else(|p| p.into_inner());
                    if tail.len() == STDERR_LINES {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                }
            })?;
        Ok(Worker {
            child,
            stdin,
            answers,
            stderr: tail,
        })
    }

    fn send(&mut self, bytes: &[u8], file_name: &str, limits: &ExtractLimits) -> io::Result<()> {
        let request = wire::Request {
            file_name: file_name.to_string(),
            limits: limits.clone(),
            len: bytes.len(),
        };
        let mut header = serde_json::to_vec(&request).map_err(io::Error::other)?;
        header.push(b'\n');
        self.stdin.write_all(&header)?;
        self.stdin.write_all(bytes)?;
        self.stdin.flush()
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Closes stdin (the worker exits at end of input) and reaps it.
    fn close(self) {
        let Worker {
            mut child, stdin, ..
        } = self;
        drop(stdin);
        std::thread::spawn(move || {
            if wait_for(&mut child, Duration::from_secs(5)).is_none() {
                let _ = child.kill();
                let _ = child.wait();
            }
        });
    }

    /// Why the worker died: its exit status or signal and its last stderr lines.
    fn death(mut self) -> String {
        let status = wait_for(&mut self.child, Duration::from_secs(5));
        if status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // The stderr reader may still be draining the last lines.
        std::thread::sleep(Duration::from_millis(20));
        let tail = self.stderr.lock().unwrap_or_else(|p| p.into_inner());
        let said = tail
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty() && !l.contains("fatal runtime error"))
            .or_else(|| tail.back())
            .map(|l| format!(": {}", l.trim()))
            .unwrap_or_default();
        format!("the parser process died ({}){said}", describe(status))
    }
}

fn wait_for(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let step = Duration::from_millis(10);
    let mut waited = Duration::ZERO;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if waited < limit => {
                std::thread::sleep(step);
                waited += step;
            }
            _ => return None,
        }
    }
}

fn describe(status: Option<ExitStatus>) -> String {
    let Some(status) = status else {
        return "did not exit; killed".into();
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = match signal {
                6 => " SIGABRT",
                9 => " SIGKILL, out of memory?",
                11 => " SIGSEGV",
                _ => "",
            };
            return format!("signal {signal}{name}");
        }
    }
    status.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_process_extraction_matches_content() {
        let limits = ExtractLimits::default();
        let bytes = b"plain words ENG-1";
        assert_eq!(
            in_process(bytes, "a.txt", &limits),
            content::extract(bytes, "a.txt", &limits)
        );
    }
}
