//! Audit-log records (`auditing/record`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::de;

/// One audit-log record (`auditing/record`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// The record's id.
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// What happened, e.g. `Issue deleted`.
    #[serde(default, deserialize_with = "de::null_default")]
    pub summary: String,
    /// When, as Jira's timestamp text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Jira's category, e.g. `issue`, `group management`.
    #[serde(default, deserialize_with = "de::null_default")]
    pub category: String,
    /// Where the change came from (may be empty).
    #[serde(default, deserialize_with = "de::null_default")]
    pub event_source: String,
    /// `authorAccountId` (what Jira sends) or `authorKey` (what its schema says).
    #[serde(
        default,
        alias = "authorKey",
        deserialize_with = "de::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub author_account_id: Option<String>,
    /// The object the record is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_item: Option<AuditItem>,
    /// Other objects the change touched.
    #[serde(default, deserialize_with = "de::null_default")]
    pub associated_items: Vec<AuditItem>,
    /// The changed values, as Jira sent them.
    #[serde(default, deserialize_with = "de::null_default")]
    pub changed_values: Vec<Value>,
}

/// The object an audit record is about, or one associated with it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditItem {
    /// The object's id, if Jira gave one.
    #[serde(
        default,
        deserialize_with = "de::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// The object's name, e.g. an issue key.
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
    /// The object's type, e.g. `ISSUE`.
    #[serde(default, deserialize_with = "de::null_default")]
    pub type_name: String,
    /// Id of the object's parent (for an issue, its project).
    #[serde(
        default,
        deserialize_with = "de::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub parent_id: Option<String>,
    /// Name of the object's parent.
    #[serde(
        default,
        deserialize_with = "de::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub parent_name: Option<String>,
}
