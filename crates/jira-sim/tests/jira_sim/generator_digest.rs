//! Pins the generator's output: a sha256 of everything it makes for the presets the
//! project uses (the serialized workspace with users, groups, projects, roles, schemes,
//! issues, comments and audit records, then every attachment's bytes), and of the ADF
//! the server renders from the compact documents. A refactoring of the generator or the
//! model must leave both digests as they are.

use jira_sim::generate::{GenConfig, generate};
use jira_sim::model::Workspace;
use sha2::{Digest, Sha256};

/// The presets whose output is pinned (those the project's tests, benches and demo use).
fn presets() -> Vec<(&'static str, GenConfig)> {
    vec![
        ("skeleton(3)", GenConfig::skeleton(3)),
        ("skeleton(7)", GenConfig::skeleton(7)),
        ("small(7)", GenConfig::small(7)),
        ("small(11)", GenConfig::small(11)),
        ("medium(7)", GenConfig::medium(7)),
    ]
}

/// Feeds a length-prefixed chunk, so that chunk boundaries count.
fn feed(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

fn workspace_digest(ws: &Workspace) -> String {
    let mut h = Sha256::new();
    let json = serde_json::to_vec(ws).expect("workspace serializes");
    feed(&mut h, &json);
    for issue in &ws.issues {
        for a in &issue.attachments {
            feed(&mut h, a.id.as_bytes());
            feed(&mut h, &a.bytes());
        }
    }
    format!("{:x}", h.finalize())
}

fn adf_digest(ws: &Workspace) -> String {
    let mut h = Sha256::new();
    for issue in &ws.issues {
        feed(&mut h, issue.key.as_bytes());
        let adf = serde_json::to_vec(&issue.description.to_adf()).expect("ADF serializes");
        feed(&mut h, &adf);
        for c in &issue.comments {
            let adf = serde_json::to_vec(&c.body.to_adf()).expect("ADF serializes");
            feed(&mut h, &adf);
        }
    }
    format!("{:x}", h.finalize())
}

#[test]
fn generated_workspaces_digest() {
    let got: Vec<(&str, String)> = presets()
        .into_iter()
        .map(|(name, cfg)| (name, workspace_digest(&generate(&cfg))))
        .collect();
    let want = [
        (
            "skeleton(3)",
            "1b0799adbb13614f854d923c6028a37a19c4083b0b972404edb2754c9d85cabf",
        ),
        (
            "skeleton(7)",
            "4a96a341e5de4aa0c1fec4958c29a7bd2c9530ac36059fe34b5473b0897ebf7e",
        ),
        (
            "small(7)",
            "0a70ae35d43ed02368ea02dfcbd9d39fe324dae29d2e0a78c64dff2d37269484",
        ),
        (
            "small(11)",
            "040ed79067835453c5ee39e5c436603679fcbc07a788468e67320f1f8a717980",
        ),
        (
            "medium(7)",
            "03ee862d2520dab8981ac4b9848efd6b4abe68ac21ad6f72b51ef80f1e103820",
        ),
    ];
    let got: Vec<(&str, &str)> = got.iter().map(|(n, d)| (*n, d.as_str())).collect();
    assert_eq!(got, want, "the generator's output changed");
}

#[test]
fn rendered_adf_digest() {
    let got: Vec<(&str, String)> = presets()
        .into_iter()
        .map(|(name, cfg)| (name, adf_digest(&generate(&cfg))))
        .collect();
    let want = [
        (
            "skeleton(3)",
            "9da6d3dca18fd4831d68ca410531d57e024843120b6cc58926884f4ee8eed31a",
        ),
        (
            "skeleton(7)",
            "182d5ace48d471ef3540242c6e2527b6c2ee25863ac5ad05ca9367c10f9d8bd4",
        ),
        (
            "small(7)",
            "1a325f7dfbfc662d534ec4bc46bc77593d59aaebac8f62f1ffc2a080751618e5",
        ),
        (
            "small(11)",
            "e6ab2a97d3caaa10682e1c054ce3ed754a8991c7252623f39af241059ecb2bb7",
        ),
        (
            "medium(7)",
            "c1f0747914ffdbeaf39bdedeb4b67fcba0ca3b03223ebf3393e51c7444a656e4",
        ),
    ];
    let got: Vec<(&str, &str)> = got.iter().map(|(n, d)| (*n, d.as_str())).collect();
    assert_eq!(got, want, "the rendered ADF changed");
}
