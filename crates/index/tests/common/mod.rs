//! Test support shared by the index crate's integration tests: a real Qdrant 1.18
//! server or cluster from `../shared/bin/start-qdrant-cluster.sh`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A Qdrant server (or cluster) started for one test, stopped when dropped.
pub struct Cluster {
    script: PathBuf,
    dir: tempfile::TempDir,
    base: u16,
}

impl Cluster {
    /// Starts `nodes` nodes (a cluster when more than one).
    pub fn start(nodes: usize) -> Cluster {
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/bin/start-qdrant-cluster.sh");
        assert!(
            script.exists(),
            "{} is missing: the Qdrant server tests need it",
            script.display()
        );
        let dir = tempfile::tempdir().unwrap();
        // Ports of our own: 60 per process (by pid); a single node at +0..+2, a
        // cluster at +30..+52 (node i: +10i .. +10i+2), so parallel tests never clash.
        let slot = 21_000 + (std::process::id() % 500) as u16 * 60;
        let base = if nodes == 1 { slot } else { slot + 30 };
        let out = Command::new("bash")
            .arg(&script)
            .args(["start", "-n", &nodes.to_string(), "-d"])
            .arg(dir.path())
            .args(["-p", &base.to_string()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "starting qdrant: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Cluster { script, dir, base }
    }

    /// The gRPC URL of node `node`.
    pub fn grpc_url(&self, node: u16) -> String {
        format!("http://127.0.0.1:{}", self.base + 10 * node + 1)
    }

    /// Stops node `node` (kills its process).
    #[allow(dead_code)]
    pub fn stop_node(&self, node: u16) {
        let out = Command::new("bash")
            .arg(&self.script)
            .args(["stop-node", &node.to_string(), "-d"])
            .arg(self.dir.path())
            .output()
            .unwrap();
        assert!(out.status.success());
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(&self.script)
            .args(["stop", "-d"])
            .arg(self.dir.path())
            .output();
    }
}
