//! Jira's own permission check: `POST /rest/api/3/permissions/check` ("Get bulk
//! permissions" in the OpenAPI document). For one account (any account when the caller
//! holds *Administer Jira*; the caller itself when `account_id` is `None`) it answers
//! which global permissions the account holds, and for each project permission asked,
//! which of up to 1,000 projects and 1,000 issues it is granted on. Invalid project and
//! issue ids are ignored by Jira, so an id missing from the answer means "not granted
//! or not there", never "unknown".

use serde::{Deserialize, Serialize};

use crate::de;
use crate::{JiraClient, JiraError};

/// Most projects, and most issues, one call may name (the OpenAPI description of
/// `permissions/check`: "A maximum of 1000 projects and 1000 issues can be checked").
pub const MAX_PERMISSION_CHECK_IDS: usize = 1000;

/// One project-permission question: the permissions, on these projects and issues.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectPermissionQuery {
    /// Permission keys, e.g. `BROWSE_PROJECTS`.
    pub permissions: Vec<String>,
    /// Project ids (sent as integers, as the schema's `int64` asks).
    #[serde(
        serialize_with = "ids_as_numbers",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub projects: Vec<String>,
    /// Issue ids (sent as integers).
    #[serde(
        serialize_with = "ids_as_numbers",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub issues: Vec<String>,
}

/// The body of `permissions/check` (`BulkPermissionsRequestBean`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionCheck {
    /// `None`: the calling account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Global permission keys to check, e.g. `ADMINISTER`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub global_permissions: Vec<String>,
    /// Project permissions to check.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub project_permissions: Vec<ProjectPermissionQuery>,
}

/// One permission's answer (`BulkProjectPermissionGrants`): the ids it is granted on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectPermissionGrant {
    /// The permission key.
    #[serde(default, deserialize_with = "de::null_default")]
    pub permission: String,
    /// Ids of the projects it is granted on.
    #[serde(default, deserialize_with = "de::ids")]
    pub projects: Vec<String>,
    /// Ids of the issues it is granted on.
    #[serde(default, deserialize_with = "de::ids")]
    pub issues: Vec<String>,
}

/// The answer of `permissions/check` (`BulkPermissionGrants`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionGrants {
    /// The global permissions that were granted.
    #[serde(default, deserialize_with = "de::null_default")]
    pub global_permissions: Vec<String>,
    /// The project permissions, each with where it is granted.
    #[serde(default, deserialize_with = "de::null_default")]
    pub project_permissions: Vec<ProjectPermissionGrant>,
}

impl PermissionGrants {
    /// Whether the global permission (e.g. `ADMINISTER`) was granted.
    pub fn has_global(&self, permission: &str) -> bool {
        self.global_permissions.iter().any(|p| p == permission)
    }

    /// The issue ids `permission` is granted on (union over answers naming it).
    pub fn issues_with(&self, permission: &str) -> std::collections::BTreeSet<String> {
        self.project_permissions
            .iter()
            .filter(|g| g.permission == permission)
            .flat_map(|g| g.issues.iter().cloned())
            .collect()
    }

    /// The project ids `permission` is granted on.
    pub fn projects_with(&self, permission: &str) -> std::collections::BTreeSet<String> {
        self.project_permissions
            .iter()
            .filter(|g| g.permission == permission)
            .flat_map(|g| g.projects.iter().cloned())
            .collect()
    }
}

fn ids_as_numbers<S: serde::Serializer>(ids: &[String], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(ids.len()))?;
    for id in ids {
        match id.parse::<i64>() {
            Ok(n) => seq.serialize_element(&n)?,
            // Jira's ids are numeric; one that is not is sent as it is (Jira ignores
            // ids it does not know).
            Err(_) => seq.serialize_element(id)?,
        }
    }
    seq.end()
}

impl JiraClient {
    /// `POST /rest/api/3/permissions/check`. At most
    /// [`MAX_PERMISSION_CHECK_IDS`] projects and issues per question; split larger
    /// sets into several calls.
    pub async fn check_permissions(
        &self,
        request: &PermissionCheck,
    ) -> Result<PermissionGrants, JiraError> {
        self.inner
            .post_json(&["permissions", "check"], request)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_follows_the_bulk_permissions_request_bean() {
        let req = PermissionCheck {
            account_id: Some("5b10a2844c20165700ede21g".into()),
            global_permissions: vec!["ADMINISTER".into()],
            project_permissions: vec![ProjectPermissionQuery {
                permissions: vec!["BROWSE_PROJECTS".into()],
                projects: vec!["10001".into()],
                issues: vec!["10010".into(), "10011".into()],
            }],
        };
        assert_eq!(
            serde_json::to_value(&req).unwrap(),
            serde_json::json!({
                "accountId": "5b10a2844c20165700ede21g",
                "globalPermissions": ["ADMINISTER"],
                "projectPermissions": [{"permissions": ["BROWSE_PROJECTS"],
                                        "projects": [10001], "issues": [10010, 10011]}]
            })
        );
        let caller = PermissionCheck::default();
        assert_eq!(
            serde_json::to_value(&caller).unwrap(),
            serde_json::json!({})
        );
    }

    #[test]
    fn answer_reads_ids_of_either_json_type() {
        let answer: PermissionGrants = serde_json::from_str(
            r#"{"globalPermissions": ["ADMINISTER"],
                "projectPermissions": [{"permission": "BROWSE_PROJECTS",
                                        "issues": [10010, "10012"], "projects": [10001]}]}"#,
        )
        .unwrap();
        assert!(answer.has_global("ADMINISTER"));
        assert_eq!(
            answer
                .issues_with("BROWSE_PROJECTS")
                .into_iter()
                .collect::<Vec<_>>(),
            ["10010", "10012"]
        );
        assert_eq!(
            answer
                .projects_with("BROWSE_PROJECTS")
                .into_iter()
                .collect::<Vec<_>>(),
            ["10001"]
        );
        assert!(answer.issues_with("EDIT_ISSUES").is_empty());
    }
}
