//! Serialized names of the public types.

use super::*;

#[test]
fn wire_names_are_lowercase() {
    assert_eq!(
        serde_json::to_string(&ChunkKind::Comment).expect("json"),
        "\"comment\""
    );
    assert_eq!(
        serde_json::to_string(&SearchMode::Hybrid).expect("json"),
        "\"hybrid\""
    );
    let m: SearchMode = serde_json::from_str("\"Keyword\"").expect("alias");
    assert_eq!(m, SearchMode::Keyword);
    let f: SearchFilters = serde_json::from_str("{\"kinds\":[\"issue\"]}").expect("filters");
    assert_eq!(f.kinds, vec![ChunkKind::Issue]);
    assert!(f.project_keys.is_empty() && !f.collapse_by_issue);
}
