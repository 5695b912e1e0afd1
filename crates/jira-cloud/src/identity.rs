//! Who exists on the site: the calling user, all users, groups and their members,
//! product access roles.

use std::collections::BTreeMap;

use futures::{StreamExt as _, TryStreamExt as _};

use serde::Deserialize;

use crate::de;
use crate::model::{ApplicationRole, Group, User};
use crate::paging::dedup_by_key;
use crate::{JiraClient, JiraError};

/// Users per `users/search` page.
const USERS_PAGE: usize = 1000;

impl JiraClient {
    /// `GET /rest/api/3/myself`: the calling user (a connection and credentials test).
    pub async fn myself(&self) -> Result<User, JiraError> {
        self.inner.get_json(&["myself"], &[]).await
    }

    /// Every user of the site (`users/search`, bare-array pages of 1,000, the most
    /// Jira returns), active or not, of every account type.
    pub async fn users(&self) -> Result<Vec<User>, JiraError> {
        let users: Vec<User> = self
            .inner
            .array_pages(&["users", "search"], &[], USERS_PAGE)
            .await?;
        Ok(dedup_by_key(users, |u| u.account_id.clone()))
    }

    /// Every group (`group/bulk`, offset pages).
    pub async fn groups(&self) -> Result<Vec<Group>, JiraError> {
        let groups: Vec<Group> = self.inner.offset_pages(&["group", "bulk"], &[]).await?;
        Ok(dedup_by_key(groups, |g| {
            (g.group_id.clone(), g.name.clone())
        }))
    }

    /// The members of a group, by `groupId` (`group/member`, offset pages).
    pub async fn group_members(
        &self,
        group_id: &str,
        include_inactive: bool,
    ) -> Result<Vec<User>, JiraError> {
        let members: Vec<User> = self
            .inner
            .offset_pages(
                &["group", "member"],
                &[
                    ("groupId", group_id.to_string()),
                    ("includeInactiveUsers", include_inactive.to_string()),
                ],
            )
            .await?;
        Ok(dedup_by_key(members, |u| u.account_id.clone()))
    }

    /// The members of many groups, fetched `max_concurrency` groups at a time.
    /// Keyed by `groupId`; the first error ends the walk.
    pub async fn groups_members(
        &self,
        group_ids: &[String],
        include_inactive: bool,
    ) -> Result<BTreeMap<String, Vec<User>>, JiraError> {
        futures::stream::iter(group_ids.iter().cloned())
            .map(|gid| async move {
                let members = self.group_members(&gid, include_inactive).await?;
                Ok::<_, JiraError>((gid, members))
            })
            .buffer_unordered(self.concurrency())
            .try_collect()
            .await
    }

    /// The product keys one account holds: `GET /rest/api/3/user?accountId=…&expand=
    /// applicationRoles` (OpenAPI "Get user": `applicationRoles` "includes details of
    /// all the applications to which the user has access"). Needs only *Browse users
    /// and groups*, where `applicationrole` needs *Administer Jira*: the sync's way to
    /// tell product access apart when the roles list is refused.
    pub async fn user_application_roles(&self, account_id: &str) -> Result<Vec<String>, JiraError> {
        let user: UserWithRoles = self
            .inner
            .get_json(
                &["user"],
                &[
                    ("accountId", account_id.to_string()),
                    ("expand", "applicationRoles".to_string()),
                ],
            )
            .await?;
        Ok(user
            .application_roles
            .items
            .into_iter()
            .map(|r| r.key)
            .filter(|k| !k.is_empty())
            .collect())
    }

    /// [`JiraClient::user_application_roles`] for many accounts, `max_concurrency` at a
    /// time; each account's own answer (one failure does not end the walk).
    pub async fn users_application_roles(
        &self,
        account_ids: &[String],
    ) -> BTreeMap<String, Result<Vec<String>, JiraError>> {
        futures::stream::iter(account_ids.iter().cloned())
            .map(|id| async move {
                let keys = self.user_application_roles(&id).await;
                (id, keys)
            })
            .buffer_unordered(self.concurrency())
            .collect()
            .await
    }

    /// Product access roles (`applicationrole`) with the groups that grant them.
    /// Where Jira names a group without its id, the id is looked up in `groups()`
    /// (one extra walk, only then); names it cannot resolve keep an empty `group_id`.
    pub async fn application_roles(&self) -> Result<Vec<ApplicationRole>, JiraError> {
        let mut roles: Vec<ApplicationRole> =
            self.inner.get_json(&["applicationrole"], &[]).await?;
        let unresolved = roles
            .iter()
            .flat_map(|r| &r.group_details)
            .any(|g| g.group_id.is_empty());
        if unresolved {
            let by_name: BTreeMap<String, String> = self
                .groups()
                .await?
                .into_iter()
                .map(|g| (g.name, g.group_id))
                .collect();
            for role in &mut roles {
                for g in role
                    .group_details
                    .iter_mut()
                    .filter(|g| g.group_id.is_empty())
                {
                    match by_name.get(&g.name) {
                        Some(id) => g.group_id = id.clone(),
                        None => tracing::warn!(
                            application_role = %role.key,
                            group = %g.name,
                            "application role names a group that group/bulk does not list; it grants nothing"
                        ),
                    }
                }
            }
        }
        Ok(roles)
    }
}

/// `GET /rest/api/3/user` with `expand=applicationRoles`: only the part read here.
/// A missing or null `applicationRoles` reads as none (fail closed: no product access).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserWithRoles {
    #[serde(default, deserialize_with = "de::null_default")]
    application_roles: RoleList,
}

#[derive(Deserialize, Default)]
struct RoleList {
    #[serde(default, deserialize_with = "de::null_default")]
    items: Vec<RoleKey>,
}

#[derive(Deserialize)]
struct RoleKey {
    #[serde(default, deserialize_with = "de::null_default")]
    key: String,
}
