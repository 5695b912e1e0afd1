//! The integration tests of `jira-sim`, as one test binary (one link instead of one per
//! file: a clean build stays small on disk).

mod faults_oauth_admin;
mod generator_digest;
mod http_conformance;
mod schemas;
