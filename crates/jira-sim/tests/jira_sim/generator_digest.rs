//! Pins the generator's output: a sha256 of everything it makes for the presets the
//! project uses (the serialized workspace with users, groups, projects, roles, schemes,
//! issues, comments and audit records, then every attachment's bytes), and of the ADF
//! the server renders from the compact documents. A refactoring of the generator or the
//! model must leave both digests as they are. Both are taken over canonical forms
//! (sorted JSON keys, zip entries uncompressed), so they hold whatever features the
//! build unifies (`cargo test -p jira-sim` and `cargo test --workspace` link other
//! serde_json and deflate features).

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

/// JSON with every object's keys sorted: the same bytes whether or not serde_json
/// keeps insertion order (`preserve_order`, which another crate of the workspace may
/// turn on: `cargo test --workspace` unifies features).
fn canonical(value: &serde_json::Value) -> Vec<u8> {
    fn write(v: &serde_json::Value, out: &mut Vec<u8>) {
        match v {
            serde_json::Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push(b'{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend(serde_json::to_vec(k).expect("a key serializes"));
                    out.push(b':');
                    write(&map[k], out);
                }
                out.push(b'}');
            }
            serde_json::Value::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write(item, out);
                }
                out.push(b']');
            }
            scalar => out.extend(serde_json::to_vec(scalar).expect("a scalar serializes")),
        }
    }
    let mut out = Vec::new();
    write(value, &mut out);
    out
}

fn canonical_of<T: serde::Serialize>(value: &T) -> Vec<u8> {
    canonical(&serde_json::to_value(value).expect("serializes"))
}

/// Feeds a length-prefixed chunk, so that chunk boundaries count.
fn feed(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

/// An attachment's content, whatever deflate backend the build links: a zip-based
/// file (DOCX, XLSX, PPTX, ODF) as its entries' names and uncompressed bytes, in
/// order; any other file as its bytes. (Compressed bytes, and so sizes, differ
/// between zlib-rs and miniz_oxide, and `cargo test --workspace` links another
/// backend than `cargo test -p jira-sim`.)
fn feed_content(h: &mut Sha256, bytes: &[u8]) {
    if !bytes.starts_with(b"PK\x03\x04") {
        feed(h, bytes);
        return;
    }
    // A deliberately truncated file (its kind and planted text are in the JSON) is
    // a prefix of compressed bytes: only that it does not open is pinned.
    let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        feed(h, b"an unreadable zip");
        return;
    };
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("an entry");
        feed(h, entry.name().as_bytes());
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).expect("inflates");
        feed(h, &data);
    }
}

fn workspace_digest(ws: &Workspace) -> String {
    let mut h = Sha256::new();
    let mut value = serde_json::to_value(ws).expect("workspace serializes");
    // Sizes follow the compressed bytes: the content is digested below instead.
    for issue in value["issues"].as_array_mut().expect("issues") {
        for a in issue["attachments"].as_array_mut().expect("attachments") {
            a.as_object_mut().expect("an attachment").remove("size");
        }
    }
    feed(&mut h, &canonical(&value));
    for issue in &ws.issues {
        for a in &issue.attachments {
            feed(&mut h, a.id.as_bytes());
            feed_content(&mut h, &a.bytes());
        }
    }
    format!("{:x}", h.finalize())
}

fn adf_digest(ws: &Workspace) -> String {
    let mut h = Sha256::new();
    for issue in &ws.issues {
        feed(&mut h, issue.key.as_bytes());
        feed(&mut h, &canonical_of(&issue.description.to_adf()));
        for c in &issue.comments {
            feed(&mut h, &canonical_of(&c.body.to_adf()));
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
            "abacd655507f88260f3af08df502cdb1dd08c9400e089b380d4b41b73ac84508",
        ),
        (
            "skeleton(7)",
            "0ba78eebb642f59fb3dd780c912b592d81cdb09d78d92489c53cc8bcd273e728",
        ),
        (
            "small(7)",
            "5d564300a1b25b90a3c0eefd2e4ee31bf33b406dca43073a68db6f67db35837e",
        ),
        (
            "small(11)",
            "e12d21c54f15f622da7ff030f8ffee5ff62e8f60a9b98fa7b00d6121b44b4f46",
        ),
        (
            "medium(7)",
            "c0ae2cd0224cf8a2d41d45f7138a26342b5233fdaa1f14923af43eebf3651d88",
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
