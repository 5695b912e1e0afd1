//! Support for the end-to-end tests in `tests/` and the benchmarks in `benches/`:
//! starts the simulator on loopback and points a sync config at it. Test code only;
//! the product lives in `crates/`.

pub mod quality;

use std::path::Path;

use jira_sim::SimOptions;
use jira_sim::generate::{GenConfig, generate};
use jira_sim::model::Workspace;
use jira_sim::server::SimHandle;

/// A running simulator and a config that syncs it into a data directory.
pub struct SimSite {
    pub handle: SimHandle,
    pub config: config::Config,
}

impl SimSite {
    /// A full sync of this site with `cfg` (the site's config or one derived from it),
    /// which must end without errors other than the reports of the simulator's
    /// deliberately damaged attachments.
    pub async fn sync_cleanly(
        &self,
        cfg: &config::Config,
        embedder: Option<std::sync::Arc<index::Embedder>>,
    ) -> sync::SyncReport {
        let report = sync::run_sync(cfg, embedder, &Default::default())
            .await
            .expect("the sync runs");
        assert_eq!(
            self.unexpected_errors(&report.run.errors),
            Vec::<String>::new()
        );
        report
    }

    /// The embedding model the site's config names (`None` when embedding is off),
    /// loaded off the async threads.
    pub async fn embedder(
        &self,
    ) -> Result<Option<std::sync::Arc<index::Embedder>>, sync::SyncError> {
        let cfg = self.config.clone();
        tokio::task::spawn_blocking(move || sync::pipeline::load_embedder(&cfg))
            .await
            .expect("the embedder loader does not panic")
    }

    /// The run errors a test should not see: all but the reports of the simulator's
    /// deliberately damaged attachments (a corrupt PDF, a truncated DOCX), each of
    /// which must name its issue key and file name.
    pub fn unexpected_errors(&self, errors: &[state::RunError]) -> Vec<String> {
        use jira_sim::model::AttachmentKind;
        let ws = self.handle.workspace();
        let ws = ws.read().unwrap_or_else(|e| e.into_inner());
        let damaged: Vec<(String, String)> = ws
            .issues
            .iter()
            .flat_map(|i| {
                i.attachments
                    .iter()
                    .filter(|a| {
                        matches!(
                            a.kind,
                            AttachmentKind::CorruptPdf | AttachmentKind::TruncatedDocx
                        )
                    })
                    .map(|a| (i.key.clone(), a.filename.clone()))
            })
            .collect();
        errors
            .iter()
            .filter(|e| {
                !damaged.iter().any(|(key, file)| {
                    e.kind == state::RunErrorKind::Attachment
                        && &e.item == key
                        && e.message.contains(file)
                })
            })
            .map(ToString::to_string)
            .collect()
    }
}

/// The state store of a config's data directory, loaded.
pub fn state(cfg: &config::Config) -> state::SyncState {
    state::StateStore::open(&config::DataDir::new(&cfg.data.dir))
        .and_then(|s| s.load())
        .expect("the state store opens and loads")
}

/// What a data directory holds: issue id → (key, content hash, chunk ids).
pub fn index_of(
    cfg: &config::Config,
) -> std::collections::BTreeMap<String, (String, String, Vec<String>)> {
    state(cfg)
        .issues
        .into_iter()
        .map(|(id, s)| (id, (s.key, s.content_hash, s.chunk_ids)))
        .collect()
}

/// Starts the simulator with `gen` on an ephemeral loopback port and writes a config
/// whose data directory is `data_dir`.
pub async fn start_site(
    gen_cfg: &GenConfig,
    data_dir: &Path,
    embedding: bool,
) -> anyhow::Result<SimSite> {
    start_workspace(generate(gen_cfg), data_dir, embedding, "").await
}

/// Serves a prepared workspace on an ephemeral loopback port. `extra_toml` is
/// appended to the generated config (e.g. an `[identity]` table).
pub async fn start_workspace(
    ws: Workspace,
    data_dir: &Path,
    embedding: bool,
    extra_toml: &str,
) -> anyhow::Result<SimSite> {
    start_workspace_with(ws, data_dir, embedding, extra_toml, SimOptions::default()).await
}

/// [`start_workspace`] with fault injection or an OAuth app.
pub async fn start_workspace_with(
    ws: Workspace,
    data_dir: &Path,
    embedding: bool,
    extra_toml: &str,
    options: SimOptions,
) -> anyhow::Result<SimSite> {
    let (email, token) = (ws.admin_email.clone(), ws.admin_api_token.clone());
    let handle = jira_sim::start_with(ws, ([127, 0, 0, 1], 0).into(), options).await?;
    let text = format!(
        "[jira]\nbase_url = {:?}\nemail = {email:?}\napi_token = {token:?}\n\n[data]\ndir = {:?}\n\n[embedding]\nenabled = {embedding}\n\n{extra_toml}\n",
        handle.base_url,
        data_dir.display().to_string(),
    );
    let config = config::Config::parse(&text)?;
    Ok(SimSite { handle, config })
}

/// Writes a config file for a simulator site as an admin would keep one (comments
/// on keys and after values), with `jira_extra` added to `[jira]` and `extra` (e.g. a
/// `[serve]` table) at the end, and loads it (so the config knows its file).
pub fn write_config_file(
    path: &Path,
    site: &config::Config,
    jira_extra: &str,
    extra: &str,
) -> config::Config {
    let text = format!(
        r#"# jira-index, as a test runs it.
[jira]
base_url = {:?}
email = {:?}
api_token = {:?} # only for the simulator
{jira_extra}

# Where the index lives.
[data]
dir = {:?}

[embedding]
enabled = {}

# What is synced.
[filters]
# Projects never synced.
projects_not_in = [] # none yet

{extra}
"#,
        site.jira.base_url,
        site.jira.email,
        site.jira.api_token.clone().unwrap_or_default(),
        site.data.dir.display().to_string(),
        site.embedding.enabled,
    );
    std::fs::write(path, text).expect("writing the config file");
    config::Config::load(path).expect("loading the config file")
}

/// A person who may open some issues but not all, with one issue they may open and
/// one they may not (by the oracle), both synced (the connector reads them): (email,
/// allowed key, denied key).
pub fn allowed_and_denied(ws: &Workspace) -> (String, String, String) {
    // Denied to the person but synced: the connector (the admin account) reads it.
    let synced = ws.visible_issue_keys(&ws.admin_account_id);
    let (person, allowed, denied) = ws
        .users
        .iter()
        .filter(|u| u.active && u.email_visible && u.account_type == "atlassian")
        .filter(|u| u.account_id != ws.admin_account_id)
        .find_map(|u| {
            let visible = ws.visible_issue_keys(&u.account_id);
            let allowed = visible.iter().find(|k| synced.contains(*k))?.clone();
            let denied = synced.iter().find(|k| !visible.contains(*k))?.clone();
            Some((u, allowed, denied))
        })
        .expect("someone sees some synced issues but not all");
    (person.email.clone(), allowed, denied)
}

/// Copies a data directory (not its lock files), e.g. to sync a copy while a server
/// holds the original.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creating the copy");
    for entry in std::fs::read_dir(from).expect("reading the directory") {
        let entry = entry.expect("reading an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else if entry.file_name() != ".lock" {
            std::fs::copy(entry.path(), &target).expect("copying a file");
        }
    }
}

/// A Qdrant server or cluster on loopback, started with the shared
/// `start-qdrant-cluster.sh` for one test and stopped when dropped.
pub struct QdrantCluster {
    script: std::path::PathBuf,
    dir: tempfile::TempDir,
    base: u16,
}

impl QdrantCluster {
    /// Starts `nodes` nodes (a cluster when more than one) on ports of this process.
    pub fn start(nodes: usize) -> anyhow::Result<QdrantCluster> {
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bin/start-qdrant-cluster.sh");
        anyhow::ensure!(
            script.exists(),
            "{} is missing: the Qdrant server tests need it",
            script.display()
        );
        let dir = tempfile::tempdir()?;
        // 120 ports per process, away from the index crate's tests (21000..), in four
        // slots of 30 (three nodes) so that the tests of one binary do not collide.
        static SLOT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
        let slot = SLOT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 4;
        let base = 52_000 + (std::process::id() % 100) as u16 * 120 + slot * 30;
        let out = std::process::Command::new("bash")
            .arg(&script)
            .args(["start", "-n", &nodes.to_string(), "-d"])
            .arg(dir.path())
            .args(["-p", &base.to_string()])
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "starting qdrant: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(QdrantCluster { script, dir, base })
    }

    /// gRPC URL of a node.
    pub fn grpc_url(&self, node: u16) -> String {
        format!("http://127.0.0.1:{}", self.base + 10 * node + 1)
    }
}

impl Drop for QdrantCluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new("bash")
            .arg(&self.script)
            .args(["stop", "-d"])
            .arg(self.dir.path())
            .output();
    }
}
