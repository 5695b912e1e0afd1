//! Atomic state files (the legacy `state.json` and the identity snapshot) round-trip.

use crate::records::{IssueState, SyncState};
use config::{read_json, write_json_atomic};

#[test]
fn atomic_write_roundtrip_and_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    assert!(read_json::<SyncState>(&path).unwrap().is_none());
    let mut state = SyncState::default();
    state.issues.insert(
        "10001".into(),
        IssueState {
            key: "ENG-1".into(),
            ..Default::default()
        },
    );
    write_json_atomic(&path, &state).unwrap();
    let back: SyncState = read_json(&path).unwrap().unwrap();
    assert_eq!(back.issues["10001"].key, "ENG-1");
    // no temp files left behind
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn corrupt_state_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(&path, b"{not json").unwrap();
    let err = read_json::<SyncState>(&path).unwrap_err();
    assert!(err.to_string().contains("state.json"), "{err}");
}
