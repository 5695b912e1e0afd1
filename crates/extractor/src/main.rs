//! `jira-index-extract`: the extraction worker process. It reads requests on stdin and
//! answers on stdout (see [`extractor::serve_stdio`]); the `jira-index` binary serves
//! the same as `jira-index extract-worker`.

fn main() -> std::process::ExitCode {
    match extractor::serve_stdio() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jira-index-extract: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
