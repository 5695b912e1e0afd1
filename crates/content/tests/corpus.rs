//! The attachment corpus (`tests/data/attachments`, made by real producers with
//! `scripts/make_attachment_corpus.py`): every token the manifest places in a file —
//! headers, footers, notes, comments, text boxes, cached formula values, speaker
//! notes, fonts without ToUnicode, form XObjects, OpenDocument — is in the extracted
//! text, and the recorded reading orders (sheets, slides, PDF columns) hold.

use std::collections::BTreeMap;
use std::path::PathBuf;

use content::{ExtractLimits, extract};
use serde_json::Value;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/attachments")
}

fn text_of(file: &str, cache: &mut BTreeMap<String, String>) -> String {
    cache
        .entry(file.to_string())
        .or_insert_with(|| {
            let bytes = std::fs::read(corpus_dir().join(file)).expect("corpus file");
            match extract(&bytes, file, &ExtractLimits::default()) {
                Ok(x) => x.text.to_lowercase(),
                Err(e) => format!("<error: {e}>"),
            }
        })
        .clone()
}

#[test]
fn every_token_in_every_place_is_found() {
    let manifest: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(corpus_dir().join("manifest.json")).expect("manifest"),
    )
    .expect("manifest JSON");
    let mut texts = BTreeMap::new();
    let mut per_kind: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut missing = Vec::new();
    for entry in &manifest {
        let (file, kind, place) = (
            entry["file"].as_str().unwrap(),
            entry["kind"].as_str().unwrap(),
            entry["place"].as_str().unwrap(),
        );
        let text = text_of(file, &mut texts);
        if let Some(token) = entry["token"].as_str() {
            let counts = per_kind.entry(kind.to_string()).or_default();
            counts.1 += 1;
            match text.matches(token).count() {
                1 => counts.0 += 1,
                0 => missing.push(format!("{file}: {place} ({token})")),
                // Each token is in one place: twice means a part read twice (a text
                // box's VML fallback, a notes part reached from two slides).
                n => missing.push(format!("{file}: {place} ({token}) found {n} times")),
            }
        }
        if let Some(order) = entry["order"].as_array() {
            let positions: Vec<Option<usize>> = order
                .iter()
                .map(|t| text.find(t.as_str().unwrap()))
                .collect();
            let in_order =
                positions.iter().all(Option::is_some) && positions.windows(2).all(|w| w[0] < w[1]);
            if !in_order {
                missing.push(format!(
                    "{file}: {place} out of order: {order:?} at {positions:?}"
                ));
            }
        }
    }
    for (kind, (found, total)) in &per_kind {
        println!("{kind}: {found}/{total} tokens found");
    }
    let errors: Vec<String> = texts
        .iter()
        .filter(|(_, t)| t.starts_with("<error"))
        .map(|(f, t)| format!("{f}: {t}"))
        .collect();
    assert!(
        missing.is_empty() && errors.is_empty(),
        "{} missing or misordered:\n{}\nerrors:\n{}",
        missing.len(),
        missing.join("\n"),
        errors.join("\n")
    );
}
