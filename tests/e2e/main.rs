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
mod scale_out;
mod search_quality;
mod serve_limits;
mod skeleton_e2e;
mod verify_access;
mod visibility_property;

/// An admin key without `impersonate`: sees the console, may not act as anyone.
const AUDITOR_KEY: &str = "console-auditor-key-0123456789abcdef";
/// A key with the `metrics` scope only.
const SCRAPER_KEY: &str = "console-scraper-key-0123456789abcdef";

/// The `[serve]` table of the admin console tests: syncs on demand only, an `alice` key
/// that searches as alice@example.com, an `ops` key with the admin and impersonate
/// scopes, an `auditor` key with the admin scope only ([`AUDITOR_KEY`]) and a
/// `scraper` key with the metrics scope ([`SCRAPER_KEY`]).
fn admin_serve_toml(alice_key: &str, admin_key: &str) -> String {
    let hash = serve::auth::key_hash;
    format!(
        "[serve]\nsync_interval_minutes = 0\n\n[[serve.api_keys]]\nname = \"alice\"\nsha256 = \"{}\"\nemail = \"alice@example.com\"\n\n[[serve.api_keys]]\nname = \"ops\"\nsha256 = \"{}\"\nscopes = [\"admin\", \"impersonate\"]\n\n[[serve.api_keys]]\nname = \"auditor\"\nsha256 = \"{}\"\nscopes = [\"admin\"]\n\n[[serve.api_keys]]\nname = \"scraper\"\nsha256 = \"{}\"\nscopes = [\"metrics\"]\n",
        hash(alice_key),
        hash(admin_key),
        hash(AUDITOR_KEY),
        hash(SCRAPER_KEY)
    )
}
