//! Projects and what decides who may browse them: roles with their actors,
//! permission schemes, issue security schemes and the members of their levels.

use std::collections::BTreeMap;

use futures::{StreamExt as _, TryStreamExt as _};
use serde::Deserialize;

use crate::model::{
    IssueSecurityScheme, PermissionScheme, Project, ProjectRole, SecurityLevelMember,
};
use crate::paging::dedup_by_key;
use crate::transport::decode;
use crate::{JiraClient, JiraError};

#[derive(Deserialize)]
struct SchemeId {
    #[serde(deserialize_with = "crate::de::id")]
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PermissionSchemes {
    #[serde(default)]
    permission_schemes: Vec<PermissionScheme>,
}

impl JiraClient {
    /// Every project, live and archived, with its lead
    /// (`project/search?expand=lead&status=live&status=archived`).
    pub async fn projects(&self) -> Result<Vec<Project>, JiraError> {
        let projects: Vec<Project> = self
            .inner
            .offset_pages(
                &["project", "search"],
                &[
                    ("expand", "lead".to_string()),
                    ("status", "live".to_string()),
                    ("status", "archived".to_string()),
                ],
            )
            .await?;
        Ok(dedup_by_key(projects, |p| p.id.clone()))
    }

    /// The roles of a project with their actors: the role map
    /// (`project/{id}/role` → `{name: url}`), then each role (`project/{id}/role/{roleId}`),
    /// `max_concurrency` at a time. Sorted by role id.
    pub async fn project_roles(&self, project_id: &str) -> Result<Vec<ProjectRole>, JiraError> {
        let map: BTreeMap<String, String> = self
            .inner
            .get_json(&["project", project_id, "role"], &[])
            .await?;
        let mut ids = Vec::with_capacity(map.len());
        for (name, url) in &map {
            let id = role_id_from_url(url).ok_or_else(|| JiraError::Decode {
                url: self
                    .inner
                    .api_url(&["project", project_id, "role"], &[])
                    .to_string(),
                detail: format!("role {name:?} has no role id at the end of its URL {url:?}"),
            })?;
            ids.push(id);
        }
        let mut roles: Vec<ProjectRole> = futures::stream::iter(ids)
            .map(|id| async move {
                self.inner
                    .get_json::<ProjectRole>(&["project", project_id, "role", &id], &[])
                    .await
            })
            .buffer_unordered(self.concurrency())
            .try_collect()
            .await?;
        roles.sort_by(|a, b| numeric_order(&a.id, &b.id));
        Ok(roles)
    }

    /// Every project role of the site (`role`; needs the Administer Jira permission).
    /// Company-managed projects all have these roles, each with its own actors; read
    /// them with [`JiraClient::project_role`]. Actors listed here are only defaults.
    pub async fn global_roles(&self) -> Result<Vec<ProjectRole>, JiraError> {
        let mut roles: Vec<ProjectRole> = self.inner.get_json(&["role"], &[]).await?;
        for r in &mut roles {
            r.actors.clear();
        }
        roles.sort_by(|a, b| numeric_order(&a.id, &b.id));
        Ok(roles)
    }

    /// One role of a project with its actors (`project/{id}/role/{roleId}`).
    pub async fn project_role(
        &self,
        project_id: &str,
        role_id: &str,
    ) -> Result<ProjectRole, JiraError> {
        self.inner
            .get_json(&["project", project_id, "role", role_id], &[])
            .await
    }

    /// The roles of many projects, `max_concurrency` projects at a time, keyed by
    /// project id. The first error ends the walk.
    pub async fn projects_roles(
        &self,
        project_ids: &[String],
    ) -> Result<BTreeMap<String, Vec<ProjectRole>>, JiraError> {
        futures::stream::iter(project_ids.iter().cloned())
            .map(|pid| async move {
                let roles = self.project_roles(&pid).await?;
                Ok::<_, JiraError>((pid, roles))
            })
            .buffer_unordered(self.concurrency())
            .try_collect()
            .await
    }

    /// The id of the permission scheme of a project (`project/{id}/permissionscheme`).
    pub async fn project_permission_scheme_id(
        &self,
        project_id: &str,
    ) -> Result<String, JiraError> {
        let s: SchemeId = self
            .inner
            .get_json(&["project", project_id, "permissionscheme"], &[])
            .await?;
        Ok(s.id)
    }

    /// A permission scheme with its grants (`permissionscheme/{id}?expand=permissions`).
    /// Many projects share a scheme: fetch each scheme id once.
    pub async fn permission_scheme(&self, scheme_id: &str) -> Result<PermissionScheme, JiraError> {
        self.inner
            .get_json(
                &["permissionscheme", scheme_id],
                &[("expand", "permissions".to_string())],
            )
            .await
    }

    /// Every permission scheme of the site with its grants, in one call
    /// (`permissionscheme?expand=permissions`; the list is not paged).
    pub async fn permission_schemes(&self) -> Result<Vec<PermissionScheme>, JiraError> {
        let all: PermissionSchemes = self
            .inner
            .get_json(
                &["permissionscheme"],
                &[("expand", "permissions".to_string())],
            )
            .await?;
        Ok(all.permission_schemes)
    }

    /// The permission scheme of a project with its grants: the scheme id, then the scheme.
    pub async fn project_permission_scheme(
        &self,
        project_id: &str,
    ) -> Result<PermissionScheme, JiraError> {
        let id = self.project_permission_scheme_id(project_id).await?;
        self.permission_scheme(&id).await
    }

    /// The issue security scheme of a project with its levels
    /// (`project/{id}/issuesecuritylevelscheme`); `None` when the project has none
    /// (Jira answers 404, or an empty body).
    pub async fn project_security_scheme(
        &self,
        project_id: &str,
    ) -> Result<Option<IssueSecurityScheme>, JiraError> {
        let url = self
            .inner
            .api_url(&["project", project_id, "issuesecuritylevelscheme"], &[]);
        match self.inner.execute(reqwest::Method::GET, &url, None).await {
            Ok(body) if body.iter().all(u8::is_ascii_whitespace) => Ok(None),
            Ok(body) => decode(&url, &body).map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Who holds a security level (`issuesecurityschemes/level/member`, offset pages).
    pub async fn security_level_members(
        &self,
        scheme_id: &str,
        level_id: &str,
    ) -> Result<Vec<SecurityLevelMember>, JiraError> {
        self.inner
            .offset_pages(
                &["issuesecurityschemes", "level", "member"],
                &[
                    ("schemeId", scheme_id.to_string()),
                    ("levelId", level_id.to_string()),
                    ("expand", "user,group,projectRole".to_string()),
                ],
            )
            .await
    }
}

impl JiraClient {
    /// Every project's issue security scheme with its levels, in two offset walks
    /// (`issuesecurityschemes/search` with the projects using each scheme, and
    /// `issuesecurityschemes/level` for all levels) instead of one call per project.
    /// Needs the Administer Jira permission. Keyed by project id; a project without
    /// a scheme is absent.
    pub async fn security_schemes_by_project(
        &self,
    ) -> Result<BTreeMap<String, IssueSecurityScheme>, JiraError> {
        let schemes: Vec<crate::model::SecuritySchemeProjects> = self
            .inner
            .offset_pages(&["issuesecurityschemes", "search"], &[])
            .await?;
        let levels: Vec<crate::model::SchemeLevel> = self
            .inner
            .offset_pages(&["issuesecurityschemes", "level"], &[])
            .await?;
        let mut out = BTreeMap::new();
        for s in schemes {
            let scheme = IssueSecurityScheme {
                id: s.id.clone(),
                name: s.name.clone(),
                default_security_level_id: s.default_level.clone(),
                levels: levels
                    .iter()
                    .filter(|l| l.issue_security_scheme_id == s.id)
                    .map(|l| crate::model::SecurityLevelRef {
                        id: l.id.clone(),
                        name: l.name.clone(),
                    })
                    .collect(),
            };
            for p in &s.project_ids {
                out.insert(p.clone(), scheme.clone());
            }
        }
        Ok(out)
    }

    /// Who holds every level of a security scheme, in one offset walk
    /// (`issuesecurityschemes/level/member?schemeId=…` without `levelId`); each
    /// member names its level.
    pub async fn security_scheme_members(
        &self,
        scheme_id: &str,
    ) -> Result<Vec<SecurityLevelMember>, JiraError> {
        self.inner
            .offset_pages(
                &["issuesecurityschemes", "level", "member"],
                &[
                    ("schemeId", scheme_id.to_string()),
                    ("expand", "user,group,projectRole".to_string()),
                ],
            )
            .await
    }
}

/// `https://x/rest/api/3/project/10000/role/10002` → `10002`.
pub(crate) fn role_id_from_url(url: &str) -> Option<String> {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .trim_end_matches('/');
    let (_, last) = path.rsplit_once('/')?;
    (!last.is_empty() && !last.eq_ignore_ascii_case("role")).then(|| last.to_string())
}

/// Orders numeric ids numerically, others lexically after them.
pub(crate) fn numeric_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_ids_from_urls() {
        assert_eq!(
            role_id_from_url("https://acme.atlassian.net/rest/api/3/project/10000/role/10002")
                .as_deref(),
            Some("10002")
        );
        assert_eq!(
            role_id_from_url("http://127.0.0.1:9/rest/api/3/project/1/role/7/").as_deref(),
            Some("7")
        );
        assert_eq!(role_id_from_url("/role/7?x=1").as_deref(), Some("7"));
        assert_eq!(
            role_id_from_url("https://x/rest/api/3/project/1/role"),
            None
        );
        assert_eq!(role_id_from_url("nothing"), None);
    }

    #[test]
    fn numeric_ids_sort_numerically() {
        let mut v = vec!["10002", "9", "abc", "10000"];
        v.sort_by(|a, b| numeric_order(a, b));
        assert_eq!(v, vec!["9", "10000", "10002", "abc"]);
    }
}
