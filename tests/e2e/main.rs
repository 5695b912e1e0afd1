//! The end-to-end tests against the simulator, as one test binary (one link of the
//! whole product instead of one per file: a clean build stays small on disk). The
//! tests that change process-wide state — a global log subscriber
//! (`oauth_and_secrets`) or environment variables (`serve_e2e`) — stay binaries of
//! their own.

mod access_fidelity;
mod admin_browser;
mod admin_console;
mod admin_settings;
mod attachments_e2e;
mod fault_storm;
mod fetch_walks;
mod filters_preview;
mod identity_sync;
mod incremental_sync;
mod qdrant_server_e2e;
mod search_quality;
mod skeleton_e2e;
mod verify_access;
mod visibility_property;

/// The `[serve]` table of the admin console tests: syncs on demand only, an `alice` key
/// that searches as alice@example.com and an `ops` key with the admin scope.
fn admin_serve_toml(alice_key: &str, admin_key: &str) -> String {
    let hash = serve::auth::key_hash;
    format!(
        "[serve]\nsync_interval_minutes = 0\n\n[[serve.api_keys]]\nname = \"alice\"\nsha256 = \"{}\"\nemail = \"alice@example.com\"\n\n[[serve.api_keys]]\nname = \"ops\"\nsha256 = \"{}\"\nscopes = [\"admin\"]\n",
        hash(alice_key),
        hash(admin_key)
    )
}
