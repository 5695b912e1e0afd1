//! Projects and their roles: [`Project`], [`ProjectRole`] and who holds a role
//! ([`RoleActor`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::user::{UserRef, opt_user_ref};
use crate::de;

/// A project (`project/search?expand=lead`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// The project id.
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The project key, e.g. `DEMO`.
    #[serde(deserialize_with = "de::null_default")]
    pub key: String,
    /// The project name.
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
    /// `software`, `service_desk`, `business`.
    #[serde(default, deserialize_with = "de::null_default")]
    pub project_type_key: String,
    /// `classic` (company-managed) or `next-gen` (team-managed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// True for team-managed projects.
    #[serde(default, deserialize_with = "de::null_default")]
    pub simplified: bool,
    /// Jira's `isPrivate`: private from the calling account's view, not the project's
    /// access level.
    #[serde(default, deserialize_with = "de::null_default")]
    pub is_private: bool,
    /// Archived projects are read-only and hidden from most users.
    #[serde(default, deserialize_with = "de::null_default")]
    pub archived: bool,
    /// The project lead; `None` when unset or without an account.
    #[serde(
        default,
        deserialize_with = "opt_user_ref",
        skip_serializing_if = "Option::is_none"
    )]
    pub lead: Option<UserRef>,
}

/// A project role with its actors in one project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectRole {
    /// The role id.
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The role name, e.g. `Developers`.
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
    /// Who holds the role in this project (actors of unknown types dropped).
    #[serde(default, deserialize_with = "de_actors")]
    pub actors: Vec<RoleActor>,
}

/// Who holds a project role: a user or a group.
///
/// Read from `atlassian-user-role-actor` / `atlassian-group-role-actor`; actors of any
/// other type are dropped (logged), so they grant nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoleActor {
    /// One account.
    User {
        /// The account's id.
        account_id: String,
    },
    /// `group_id` is empty only if Jira sent the group's name alone.
    Group {
        /// The group's id.
        group_id: String,
        /// The group's name.
        name: String,
    },
}

impl Serialize for RoleActor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = match self {
            RoleActor::User { account_id } => serde_json::json!({
                "type": "atlassian-user-role-actor",
                "actorUser": { "accountId": account_id },
            }),
            RoleActor::Group { group_id, name } => serde_json::json!({
                "type": "atlassian-group-role-actor",
                "name": name,
                "actorGroup": { "name": name, "groupId": group_id },
            }),
        };
        v.serialize(s)
    }
}

impl<'de> Deserialize<'de> for RoleActor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        role_actor_from_value(&v).map_err(serde::de::Error::custom)
    }
}

fn role_actor_from_value(v: &Value) -> Result<RoleActor, String> {
    let ty = v.get("type").and_then(Value::as_str).unwrap_or_default();
    let text = |v: Option<&Value>| -> Option<String> {
        match v? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    match ty {
        "atlassian-user-role-actor" => {
            let account = text(v.get("actorUser").and_then(|u| u.get("accountId")))
                .ok_or_else(|| "user role actor without actorUser.accountId".to_string())?;
            Ok(RoleActor::User {
                account_id: account,
            })
        }
        "atlassian-group-role-actor" => {
            let group = v.get("actorGroup");
            let group_id = text(group.and_then(|g| g.get("groupId"))).unwrap_or_default();
            let name = text(group.and_then(|g| g.get("name")))
                .or_else(|| text(v.get("name")))
                .unwrap_or_default();
            if group_id.is_empty() && name.is_empty() {
                return Err("group role actor without groupId or name".into());
            }
            Ok(RoleActor::Group { group_id, name })
        }
        other => Err(format!("unknown role actor type {other:?}")),
    }
}

fn de_actors<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<RoleActor>, D::Error> {
    let raw: Vec<Value> = de::null_default(d)?;
    Ok(raw
        .iter()
        .filter_map(|v| match role_actor_from_value(v) {
            Ok(a) => Some(a),
            Err(why) => {
                tracing::warn!(%why, "dropping a project role actor the client does not understand (it grants nothing)");
                None
            }
        })
        .collect())
}
