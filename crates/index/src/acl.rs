//! The permission check in memory: a principal set against the three ACL gates of
//! one chunk. The stores apply the same rule as query filters; this is the re-check
//! every hit passes before it is returned.

use crate::types::ChunkDoc;

/// True when the principals pass all three gates of `doc` (each gate: share one tag).
pub fn acl_allows(principals: &[String], doc: &ChunkDoc) -> bool {
    gates_allow(
        principals,
        &doc.acl_project,
        &doc.acl_issue,
        &doc.acl_comment,
    )
}

/// True when the principals share a tag with each of the three gates (and are not empty).
pub(crate) fn gates_allow(
    principals: &[String],
    acl_project: &[String],
    acl_issue: &[String],
    acl_comment: &[String],
) -> bool {
    let pass = |gate: &[String]| gate.iter().any(|t| principals.iter().any(|p| p == t));
    !principals.is_empty() && pass(acl_project) && pass(acl_issue) && pass(acl_comment)
}
