//! The integration tests of `jira-cloud`, as one test binary (one link instead of one per
//! file: a clean build stays small on disk).

mod mock_jira;
mod oauth_sim;
mod sim;
