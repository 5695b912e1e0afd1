//! People and who they are grouped with: users, user references inside other
//! objects, groups and application roles (product access).

use serde::{Deserialize, Serialize};

use crate::de;

/// A Jira user (`users/search`, `group/member`, `myself`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Jira's account id.
    #[serde(deserialize_with = "de::id")]
    pub account_id: String,
    /// `atlassian`, `app` or `customer`.
    #[serde(default, deserialize_with = "de::null_default")]
    pub account_type: String,
    /// Absent when the user's profile hides it.
    #[serde(
        default,
        deserialize_with = "de::opt_nonempty",
        skip_serializing_if = "Option::is_none"
    )]
    pub email_address: Option<String>,
    /// The name Jira shows.
    #[serde(default, deserialize_with = "de::null_default")]
    pub display_name: String,
    /// Missing reads as `false` (an inactive user matches nothing: fail closed).
    #[serde(default, deserialize_with = "de::null_default")]
    pub active: bool,
}

/// A reference to a user inside another object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRef {
    /// The account id.
    #[serde(deserialize_with = "de::id")]
    pub account_id: String,
    /// The name Jira shows.
    #[serde(default, deserialize_with = "de::null_default")]
    pub display_name: String,
}

/// A group, keyed by `groupId` (names can be renamed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// Empty only when Jira named the group without its id (old `applicationrole`
    /// answers, group role actors without `actorGroup`) and the client could not
    /// resolve the name: resolve by `name` then, or treat as no grant.
    #[serde(default, deserialize_with = "de::id")]
    pub group_id: String,
    /// The group name (can change; `group_id` does not).
    #[serde(default, deserialize_with = "de::null_default")]
    pub name: String,
}

/// A product access role (`applicationrole`), e.g. `jira-software`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "RawApplicationRole")]
pub struct ApplicationRole {
    /// The product key, e.g. `jira-software`.
    pub key: String,
    /// The product name, e.g. `Jira Software`.
    pub name: String,
    /// The groups that grant this product; from `groupDetails`, or built from the
    /// `groups` names (with an empty `group_id`) when Jira sent only those.
    pub group_details: Vec<Group>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawApplicationRole {
    #[serde(deserialize_with = "de::id")]
    key: String,
    #[serde(default, deserialize_with = "de::null_default")]
    name: String,
    #[serde(default, deserialize_with = "de::null_default")]
    group_details: Vec<Group>,
    #[serde(default, deserialize_with = "de::null_default")]
    groups: Vec<String>,
}

impl From<RawApplicationRole> for ApplicationRole {
    fn from(r: RawApplicationRole) -> Self {
        let mut group_details = r.group_details;
        for name in r.groups {
            if !group_details.iter().any(|g| g.name == name) {
                group_details.push(Group {
                    group_id: String::new(),
                    name,
                });
            }
        }
        ApplicationRole {
            key: r.key,
            name: r.name,
            group_details,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawUserRef {
    #[serde(default, deserialize_with = "de::opt_id")]
    account_id: Option<String>,
    #[serde(default, deserialize_with = "de::null_default")]
    display_name: String,
}

/// A user reference (`reporter`, `assignee`, `lead`, `author`); `null`, or a user
/// object without `accountId` (anonymous, deleted), reads as `None`.
pub(super) fn opt_user_ref<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<UserRef>, D::Error> {
    Ok(Option::<RawUserRef>::deserialize(d)?.and_then(|r| {
        r.account_id.map(|account_id| UserRef {
            account_id,
            display_name: r.display_name,
        })
    }))
}
