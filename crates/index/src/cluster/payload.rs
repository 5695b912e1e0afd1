//! A chunk as a Qdrant point's payload, and back. The payload holds every field of
//! [`ChunkDoc`] but `embed_text` (only the embedder reads it), plus the embedding
//! model's id (`model`, so a search meets only its own model's dense vectors).

use std::collections::HashMap;

use qdrant_client::Payload;
use qdrant_client::qdrant::Value;

use crate::error::IndexError;
use crate::types::ChunkDoc;

/// Payload fields with a keyword index, created with the collection (before any point
/// is written, so the HNSW graph gets the links filtered searches need).
pub(crate) const KEYWORD_FIELDS: [&str; 9] = [
    "chunk_id",
    "issue_id",
    "issue_key",
    "project_key",
    "kind",
    "acl_project",
    "acl_issue",
    "acl_comment",
    "model",
];

/// The keyword field whose index is a tenant index (`is_tenant`): one value per point,
/// and what searches narrow to most. Qdrant keeps a tenant's points together, so a
/// search of a few projects reads them in sequence (Qdrant, "Configure
/// Multitenancy": partition by payload with `is_tenant`).
pub(crate) const TENANT_FIELD: &str = "project_key";

/// The point payload of a chunk.
pub(crate) fn to_payload(doc: &ChunkDoc, model: Option<&str>) -> Result<Payload, IndexError> {
    let mut value = serde_json::to_value(doc)
        .map_err(|e| IndexError::Invalid(format!("chunk {}: {e}", doc.chunk_id)))?;
    if let Some(map) = value.as_object_mut() {
        map.remove("embed_text");
        if let Some(model) = model {
            map.insert("model".into(), model.into());
        }
    }
    Payload::try_from(value)
        .map_err(|e| IndexError::Invalid(format!("chunk {}: payload: {e}", doc.chunk_id)))
}

/// The chunk a payload holds (`None` for a point that is not a chunk of ours).
pub(crate) fn from_payload(payload: HashMap<String, Value>) -> Option<ChunkDoc> {
    let mut map: serde_json::Map<String, serde_json::Value> = payload
        .into_iter()
        .map(|(k, v)| (k, v.into_json()))
        .collect();
    map.remove("model");
    map.insert("embed_text".into(), String::new().into());
    serde_json::from_value(serde_json::Value::Object(map)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ChunkKind;

    #[test]
    fn a_chunk_round_trips_without_its_embed_text() {
        let doc = ChunkDoc {
            chunk_id: "comment:7:0".into(),
            issue_id: "10001".into(),
            issue_key: "ENG-1".into(),
            project_key: "ENG".into(),
            kind: ChunkKind::Comment,
            title: "Login fails".into(),
            text: "It fails".into(),
            embed_text: "ENG-1: Login fails\nIt fails".into(),
            url: "https://x/browse/ENG-1".into(),
            acl_project: vec!["p:1".into()],
            acl_issue: vec!["*".into()],
            acl_comment: vec!["g:9".into()],
            status: Some("Open".into()),
            priority: None,
            issue_type: Some("Bug".into()),
            assignee: None,
            labels: vec!["a".into()],
            created: Some(1),
            updated: Some(2),
            content_hash: "h".into(),
        };
        let payload: HashMap<String, Value> = to_payload(&doc, Some("m")).unwrap().into();
        assert_eq!(payload["model"].as_str().map(String::as_str), Some("m"));
        assert!(!payload.contains_key("embed_text"));
        let back = from_payload(payload).unwrap();
        assert_eq!(
            back,
            ChunkDoc {
                embed_text: String::new(),
                ..doc
            }
        );
    }
}
