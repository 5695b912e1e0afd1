//! The integration tests of `cli`, as one test binary (one link instead of one per
//! file: a clean build stays small on disk).

mod explain_access;
mod json_errors;
mod kill_resume;
mod mcp_stdio;
mod sync_progress;
