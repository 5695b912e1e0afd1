//! Crash safety: `jira-index sync` (the real binary) is killed with SIGKILL at 20
//! random points of its run, then run once to the end; the index and state it ends
//! with equal those of one uninterrupted sync (same chunk ids, same content hashes),
//! with no chunk lost and none duplicated. Keyword-only, so each run is short.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use config::DataDir;
use jira_sim::generate::{GenConfig, generate};
use rand::{Rng, SeedableRng};
use state::StateStore;
use state::SyncState;

const KILLS: usize = 20;

fn write_config(dir: &Path, base_url: &str, email: &str, token: &str) -> std::path::PathBuf {
    let text = format!(
        "[jira]\nbase_url = {base_url:?}\nemail = {email:?}\napi_token = {token:?}\n\n[data]\ndir = {:?}\n\n[embedding]\nenabled = false\n",
        dir.join("data").display().to_string(),
    );
    let path = dir.join("jira-index.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn sync_command(config: &Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_jira-index"));
    cmd.arg("--config")
        .arg(config)
        .args(["sync", "--json"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// Issue id → (key, content hash, chunk ids, chunk hashes) from the state, after
/// checking that the index holds exactly those chunks with those content hashes: none
/// lost, none duplicated, none extra.
fn verified_index(
    config_dir: &Path,
) -> BTreeMap<String, (String, String, Vec<String>, Vec<String>)> {
    let data = DataDir::new(config_dir.join("data"));
    let state: SyncState = StateStore::open(&data).unwrap().load().unwrap();
    let index = index::SearchIndex::open(&data.index_dir(), None).unwrap();
    let mut total = 0;
    for (id, s) in &state.issues {
        let mut want = s.chunk_ids.clone();
        want.sort();
        assert_eq!(
            index.issue_chunk_ids(id).unwrap(),
            want,
            "chunks of {} in the index",
            s.key
        );
        total += want.len();
        assert_eq!(s.chunk_hashes.len(), s.chunk_ids.len());
        for (chunk, hash) in s.chunk_ids.iter().zip(&s.chunk_hashes) {
            let doc = index.get_chunk(chunk).unwrap().expect("chunk in the index");
            assert_eq!(&doc.content_hash, hash, "content hash of {chunk}");
        }
    }
    assert_eq!(
        index.chunk_count().unwrap(),
        total,
        "no chunk outside the state"
    );
    state
        .issues
        .into_iter()
        .map(|(id, s)| (id, (s.key, s.content_hash, s.chunk_ids, s.chunk_hashes)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_anywhere_resumes_to_the_same_index() {
    let ws = generate(&GenConfig::skeleton(3));
    let (email, token) = (ws.admin_email.clone(), ws.admin_api_token.clone());
    let handle = jira_sim::start(ws, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let reference = tempfile::tempdir().unwrap();
    let killed = tempfile::tempdir().unwrap();
    let ref_cfg = write_config(reference.path(), &handle.base_url, &email, &token);
    let kill_cfg = write_config(killed.path(), &handle.base_url, &email, &token);

    let start = Instant::now();
    let status = sync_command(&ref_cfg).status().await.unwrap();
    assert!(status.success());
    let whole = start.elapsed();
    let want = verified_index(reference.path());

    let mut rng = rand::rngs::StdRng::seed_from_u64(20);
    let mut interrupted = 0;
    for _ in 0..KILLS {
        let at = Duration::from_micros(rng.gen_range(0..whole.as_micros() as u64));
        let mut child = sync_command(&kill_cfg).spawn().unwrap();
        match tokio::time::timeout(at, child.wait()).await {
            Ok(status) => {
                assert!(status.unwrap().success());
                // A completed run: the next starts from nothing, so that every kill
                // lands in a full run or in one resuming a killed run (an incremental
                // run with nothing to do takes a few milliseconds).
                std::fs::remove_dir_all(killed.path().join("data")).unwrap();
            }
            Err(_) => {
                child.kill().await.unwrap(); // SIGKILL
                interrupted += 1;
            }
        }
    }
    println!("{interrupted} of {KILLS} runs killed mid-way (a whole run takes {whole:?})");
    assert!(interrupted >= 10, "kills land inside runs");

    let status = sync_command(&kill_cfg).status().await.unwrap();
    assert!(status.success());
    assert_eq!(verified_index(killed.path()), want);
    handle.shutdown().await;
}
