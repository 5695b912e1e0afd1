//! The directory: every identity and permission fact of a Jira site that decides who
//! may see what (users, groups, application roles, projects, project-role actors,
//! BROWSE_PROJECTS grants and issue-security levels), as the sync assembled it.
//!
//! This module only describes and reads that data; it never fetches it (the `sync`
//! crate does) and never decides visibility on its own (see `principals` and `acl`).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// Everything identity- and permission-related of a Jira site, built by the sync from
/// Jira and persisted as JSON. Every list is optional in the JSON (missing = empty).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(default)]
pub struct Directory {
    /// Every account the sync read, active or not.
    pub users: Vec<DirUser>,
    /// Every group, with its members.
    pub groups: Vec<DirGroup>,
    /// Products (application roles); users in their groups hold the product licence.
    pub application_roles: Vec<AppRole>,
    /// Every project, archived ones included.
    pub projects: Vec<DirProject>,
    /// Actors of each project role, per project.
    pub role_actors: Vec<RoleActors>,
    /// BROWSE_PROJECTS holders of each project's permission scheme (for team-managed
    /// projects, see [`team_managed_grants`]).
    pub browse_grants: Vec<ProjectGrants>,
    /// Issue-security levels of each project's issue security scheme, with members.
    pub security_levels: Vec<SecurityLevel>,
    /// Accounts holding the *Administer Jira* global permission, as Jira's own
    /// permission check (`POST /rest/api/3/permissions/check`, `globalPermissions:
    /// ["ADMINISTER"]`) answered. Jira administrators browse private team-managed
    /// projects ("Who can access a team-managed project", Atlassian support). Read only
    /// where the site has a private team-managed project; empty when unknown, which
    /// denies them (fail closed: a miss, never a leak).
    pub jira_admins: Vec<String>,
    /// `GET /rest/api/3/applicationrole` could not be read (it needs *Administer
    /// Jira*): product access then comes from each account's own
    /// [`DirUser::product_keys`] (`GET /rest/api/3/user?expand=applicationRoles`, which
    /// needs only *Browse users and groups*). An account whose keys could not be read
    /// holds no product access and sees only what an anonymous visitor sees (fail
    /// closed: an `atlassian` account may be unlicensed, and an unlicensed account opens
    /// nothing in Jira). Reported by `check`, `status` and the run report, with the fix.
    pub application_roles_unreadable: bool,
    /// What the identity stage could not read, and how each gap denies (fail
    /// closed): shown by `check`, `status` and the run report.
    pub warnings: Vec<String>,
}

impl Directory {
    /// Whether the account holds Jira product access: it is an active, non-customer
    /// account in a group of some application role. "Users without product access
    /// can't log in to Jira" (Atlassian: "Manage product access"), so grants count
    /// only for those who hold it; everyone else sees what an anonymous visitor sees.
    /// Customers (`accountType: customer`) never do: they reach only the customer
    /// portal, which the index does not model.
    pub fn has_product_access(&self, account_id: &str) -> bool {
        let Some(user) = self
            .users
            .iter()
            .find(|u| u.account_id == account_id && u.active)
        else {
            return false;
        };
        if user.account_type == "customer" {
            return false;
        }
        if self.application_roles_unreadable {
            return user.product_keys.as_ref().is_some_and(|k| !k.is_empty());
        }
        self.groups
            .iter()
            .filter(|g| g.members.iter().any(|m| m == account_id))
            .any(|g| {
                self.application_roles
                    .iter()
                    .any(|r| r.group_ids.iter().any(|id| id == &g.group_id))
            })
    }
}

/// A Jira account.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(default)]
pub struct DirUser {
    /// Jira's account id.
    pub account_id: String,
    /// Absent when the user's profile hides it.
    pub email: Option<String>,
    /// The name Jira shows.
    pub display_name: String,
    /// False for deactivated accounts, which see nothing.
    pub active: bool,
    /// `atlassian`, `app` or `customer`.
    pub account_type: String,
    /// The products (application-role keys) Jira says this account holds, read one
    /// account at a time only when [`Directory::application_roles_unreadable`];
    /// `None` when not read (then group membership decides, or, with the roles list
    /// unreadable, nothing is held: fail closed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_keys: Option<Vec<String>>,
}

/// A group; Jira Cloud groups do not nest.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(default)]
pub struct DirGroup {
    /// Jira's stable group id.
    pub group_id: String,
    /// The group name (it can change; grants use the id).
    pub name: String,
    /// Account ids of the members, active or not.
    pub members: Vec<String>,
}

/// An application role (product access): members of these groups hold the product.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(default)]
pub struct AppRole {
    /// Product key, e.g. `jira-software`.
    pub key: String,
    /// Ids of the groups whose members hold the product.
    pub group_ids: Vec<String>,
}

/// A project.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(default)]
pub struct DirProject {
    /// Jira's project id (used in tags).
    pub id: String,
    /// The project key, e.g. `DEV`.
    pub key: String,
    /// The project name.
    pub name: String,
    /// Account id of the project lead.
    pub lead: Option<String>,
    /// Archived projects are not browsable: they grant nothing.
    pub archived: bool,
    /// Team-managed ("next-gen") project.
    pub team_managed: bool,
    /// A team-managed project treated as private: only people with a role in it (and
    /// Jira administrators) may browse. True when Jira's own permission check says a
    /// product user without a role cannot browse it, and whenever that cannot be
    /// learned (fail closed). Never read from `Project.isPrivate`, which is "private
    /// from the user's perspective" (OpenAPI `Project` schema): the connector, who
    /// can see the project, always reads `false` there.
    pub is_private: bool,
    /// How the team-managed access level was learned: `open-or-limited` or `private`
    /// from Jira's permission check, or `unknown` (then treated as private); `None`
    /// for company-managed projects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_level: Option<String>,
}

/// The actors of one project role in one project.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(default)]
pub struct RoleActors {
    /// The project the actors hold the role in.
    pub project_id: String,
    /// The project role's id.
    pub role_id: String,
    /// The role's name, for people.
    pub role_name: String,
    /// Account ids.
    pub users: Vec<String>,
    /// Group ids.
    pub groups: Vec<String>,
}

/// The BROWSE_PROJECTS holders of one project. Several entries for the same project
/// are unioned.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(default)]
pub struct ProjectGrants {
    /// The project the grants apply to.
    pub project_id: String,
    /// Who BROWSE_PROJECTS is granted to.
    pub holders: Vec<Holder>,
}

/// One issue-security level of a project, with its members.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(default)]
pub struct SecurityLevel {
    /// The project whose issue security scheme has the level.
    pub project_id: String,
    /// The level's id (used in tags).
    pub level_id: String,
    /// The level's name, for people.
    pub name: String,
    /// Who may see issues at this level.
    pub members: Vec<Holder>,
}

/// Who a permission grant or a security-level membership is given to (Jira's
/// `holder:{type, parameter, value}`).
///
/// Static holders (`Anyone`, `ApplicationRole`, `Group`, `User`, `ProjectRole`,
/// `ProjectLead`) are decided by the directory alone; dynamic holders (`Reporter`,
/// `Assignee`, `UserCustomField`, `GroupCustomField`) depend on the issue. `Unknown`
/// grants nothing (fail closed).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Holder {
    /// Everyone, logged in or not.
    Anyone,
    /// Users holding the product `key`, or any product when `key` is `None`
    /// ("any licensed user"; never "public").
    ApplicationRole {
        /// The product key; `None` for any product.
        key: Option<String>,
    },
    /// Members of a group.
    Group {
        /// The group's id.
        group_id: String,
    },
    /// One account.
    User {
        /// The account's id.
        account_id: String,
    },
    /// A project role, evaluated in the project being checked.
    ProjectRole {
        /// The project role's id.
        role_id: String,
    },
    /// The project's lead.
    ProjectLead,
    /// The issue's reporter.
    Reporter,
    /// The issue's assignee.
    Assignee,
    /// The users named in this custom field of the issue.
    UserCustomField {
        /// The custom field's id.
        field_id: String,
    },
    /// Members of the groups named in this custom field of the issue.
    GroupCustomField {
        /// The custom field's id.
        field_id: String,
    },
    /// A holder this crate does not understand (including `sd.customer.portal.only`,
    /// whose portal-only access the index does not model): grants nothing.
    Unknown {
        /// Jira's holder type, as read.
        type_name: String,
    },
}

impl Holder {
    /// Reads Jira's holder JSON fields (`type`, `parameter`, `value`).
    ///
    /// `group`: `value` is the groupId (`parameter` is the name, which can change); a
    /// group holder without a groupId becomes `Unknown`, as does any holder missing the
    /// parameter it needs and any type not listed in [`Holder`].
    ///
    /// ```
    /// use access::Holder;
    /// assert_eq!(
    ///     Holder::from_jira("group", Some("jira-users"), Some("8a1f-77")),
    ///     Holder::Group { group_id: "8a1f-77".into() }
    /// );
    /// assert_eq!(Holder::from_jira("applicationRole", None, None), Holder::ApplicationRole { key: None });
    /// assert!(matches!(Holder::from_jira("madeUp", None, None), Holder::Unknown { .. }));
    /// ```
    pub fn from_jira(type_: &str, parameter: Option<&str>, value: Option<&str>) -> Holder {
        let nonempty = |s: Option<&str>| s.filter(|s| !s.trim().is_empty()).map(str::to_string);
        let parameter = nonempty(parameter);
        let value = nonempty(value);
        let unknown = |why: &str| Holder::Unknown {
            type_name: if why.is_empty() {
                type_.to_string()
            } else {
                format!("{type_} ({why})")
            },
        };
        match type_ {
            "anyone" => Holder::Anyone,
            "applicationRole" => Holder::ApplicationRole { key: parameter },
            "group" => match value {
                Some(group_id) => Holder::Group { group_id },
                None => unknown("without groupId"),
            },
            "user" => match parameter.or(value) {
                Some(account_id) => Holder::User { account_id },
                None => unknown("without accountId"),
            },
            "projectRole" => match parameter.or(value) {
                Some(role_id) => Holder::ProjectRole { role_id },
                None => unknown("without role id"),
            },
            "projectLead" => Holder::ProjectLead,
            "reporter" => Holder::Reporter,
            "assignee" => Holder::Assignee,
            "userCustomField" => match parameter.or(value) {
                Some(field_id) => Holder::UserCustomField { field_id },
                None => unknown("without field id"),
            },
            "groupCustomField" => match parameter.or(value) {
                Some(field_id) => Holder::GroupCustomField { field_id },
                None => unknown("without field id"),
            },
            _ => unknown(""),
        }
    }

    /// Whether the holder depends on the issue (reporter, assignee, custom fields).
    pub fn is_dynamic(&self) -> bool {
        matches!(
            self,
            Holder::Reporter
                | Holder::Assignee
                | Holder::UserCustomField { .. }
                | Holder::GroupCustomField { .. }
        )
    }

    /// Jira's name of the holder type, e.g. `projectRole`.
    pub fn type_name(&self) -> &str {
        match self {
            Holder::Anyone => "anyone",
            Holder::ApplicationRole { .. } => "applicationRole",
            Holder::Group { .. } => "group",
            Holder::User { .. } => "user",
            Holder::ProjectRole { .. } => "projectRole",
            Holder::ProjectLead => "projectLead",
            Holder::Reporter => "reporter",
            Holder::Assignee => "assignee",
            Holder::UserCustomField { .. } => "userCustomField",
            Holder::GroupCustomField { .. } => "groupCustomField",
            Holder::Unknown { type_name } => type_name,
        }
    }
}

/// The BROWSE_PROJECTS holders Jira applies to a team-managed project, which has no
/// permission scheme: open and limited projects are browsable by any product user
/// (`ApplicationRole { key: None }`) and by its role holders; private ones only by
/// people holding a role in the project (one `ProjectRole` holder per role of
/// `project` that has actors) and by Jira administrators (`jira_admins`, one `User`
/// holder each).
///
/// `role_actors` may hold the roles of every project; only `project`'s are used.
pub fn team_managed_grants(
    project: &DirProject,
    role_actors: &[RoleActors],
    jira_admins: &[String],
) -> Vec<Holder> {
    let roles: BTreeSet<&str> = role_actors
        .iter()
        .filter(|r| r.project_id == project.id && !(r.users.is_empty() && r.groups.is_empty()))
        .map(|r| r.role_id.as_str())
        .collect();
    let mut holders: Vec<Holder> = Vec::new();
    if !project.is_private {
        holders.push(Holder::ApplicationRole { key: None });
    }
    holders.extend(roles.into_iter().map(|role_id| Holder::ProjectRole {
        role_id: role_id.to_string(),
    }));
    if project.is_private {
        let admins: BTreeSet<&str> = jira_admins
            .iter()
            .map(String::as_str)
            .filter(|a| !a.is_empty())
            .collect();
        holders.extend(admins.into_iter().map(|a| Holder::User {
            account_id: a.to_string(),
        }));
    }
    holders
}

/// Every (project id, holder type) whose holder this crate does not understand, in
/// BROWSE_PROJECTS grants and security levels, once each, sorted. Such holders grant
/// nothing; the caller should tell the admin.
pub fn unknown_holders(dir: &Directory) -> Vec<(String, String)> {
    let browse = dir
        .browse_grants
        .iter()
        .flat_map(|g| g.holders.iter().map(move |h| (&g.project_id, h)));
    let levels = dir
        .security_levels
        .iter()
        .flat_map(|l| l.members.iter().map(move |h| (&l.project_id, h)));
    let found: BTreeSet<(String, String)> = browse
        .chain(levels)
        .filter_map(|(pid, h)| match h {
            Holder::Unknown { type_name } => Some((pid.clone(), type_name.clone())),
            _ => None,
        })
        .collect();
    found.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_jira_reads_every_holder_type() {
        let cases = [
            (("anyone", None, None), Holder::Anyone),
            (
                ("applicationRole", Some("jira-software"), None),
                Holder::ApplicationRole {
                    key: Some("jira-software".into()),
                },
            ),
            (
                ("applicationRole", Some(""), None),
                Holder::ApplicationRole { key: None },
            ),
            (
                ("group", Some("devs"), Some("g-1")),
                Holder::Group {
                    group_id: "g-1".into(),
                },
            ),
            (
                ("user", Some("acc-1"), None),
                Holder::User {
                    account_id: "acc-1".into(),
                },
            ),
            (
                ("projectRole", Some("10002"), None),
                Holder::ProjectRole {
                    role_id: "10002".into(),
                },
            ),
            (("projectLead", None, None), Holder::ProjectLead),
            (("reporter", None, None), Holder::Reporter),
            (("assignee", None, None), Holder::Assignee),
            (
                ("userCustomField", Some("customfield_10050"), None),
                Holder::UserCustomField {
                    field_id: "customfield_10050".into(),
                },
            ),
            (
                ("groupCustomField", Some("customfield_10051"), None),
                Holder::GroupCustomField {
                    field_id: "customfield_10051".into(),
                },
            ),
        ];
        for ((t, p, v), want) in cases {
            assert_eq!(Holder::from_jira(t, p, v), want, "type {t}");
        }
    }

    #[test]
    fn from_jira_fails_closed() {
        for (t, p, v) in [
            ("group", Some("devs"), None),
            ("user", None, None),
            ("projectRole", None, None),
            ("userCustomField", None, None),
            ("sd.customer.portal.only", None, None),
            ("reporterWithCreatePermission", None, None),
            ("", None, None),
        ] {
            assert!(
                matches!(Holder::from_jira(t, p, v), Holder::Unknown { .. }),
                "{t} must be Unknown"
            );
        }
    }

    #[test]
    fn holder_json_is_tagged_by_jira_type() {
        let h = Holder::Group {
            group_id: "g1".into(),
        };
        let json = serde_json::to_value(&h).unwrap();
        assert_eq!(json, serde_json::json!({"type": "group", "group_id": "g1"}));
        let back: Holder = serde_json::from_value(json).unwrap();
        assert_eq!(back, h);
        let lead: Holder = serde_json::from_str(r#"{"type":"projectLead"}"#).unwrap();
        assert_eq!(lead, Holder::ProjectLead);
    }

    /// The persisted shape (`directory.json`): snake_case fields, holders tagged by
    /// Jira's holder type.
    #[test]
    fn directory_json_shape() {
        let json = r#"{
          "users": [{"account_id": "557058:ab", "email": null, "display_name": "Ann",
                     "active": true, "account_type": "atlassian"}],
          "groups": [{"group_id": "g1", "name": "devs", "members": ["557058:ab"]}],
          "application_roles": [{"key": "jira-software", "group_ids": ["g1"]}],
          "projects": [{"id": "10000", "key": "DEV", "name": "Dev", "lead": "557058:ab",
                        "archived": false, "team_managed": false, "is_private": false}],
          "role_actors": [{"project_id": "10000", "role_id": "10002", "role_name": "Admins",
                           "users": [], "groups": ["g1"]}],
          "browse_grants": [{"project_id": "10000", "holders": [
              {"type": "applicationRole", "key": null},
              {"type": "projectRole", "role_id": "10002"},
              {"type": "userCustomField", "field_id": "customfield_10050"},
              {"type": "unknown", "type_name": "sd.customer.portal.only"}]}],
          "security_levels": [{"project_id": "10000", "level_id": "10100", "name": "Staff",
                               "members": [{"type": "reporter"}, {"type": "group", "group_id": "g1"}]}]
        }"#;
        let dir: Directory = serde_json::from_str(json).unwrap();
        assert_eq!(
            dir.browse_grants[0].holders,
            [
                Holder::ApplicationRole { key: None },
                Holder::ProjectRole {
                    role_id: "10002".into()
                },
                Holder::UserCustomField {
                    field_id: "customfield_10050".into()
                },
                Holder::Unknown {
                    type_name: "sd.customer.portal.only".into()
                },
            ]
        );
        let again: Directory = serde_json::from_str(&serde_json::to_string(&dir).unwrap()).unwrap();
        assert_eq!(again, dir);
    }

    #[test]
    fn directory_json_tolerates_missing_lists() {
        let dir: Directory = serde_json::from_str(r#"{"users":[{"account_id":"a"}]}"#).unwrap();
        assert_eq!(dir.users.len(), 1);
        assert!(!dir.users[0].active);
        assert!(dir.projects.is_empty());
    }

    #[test]
    fn team_managed_open_and_private() {
        let mut project = DirProject {
            id: "1".into(),
            key: "TM".into(),
            team_managed: true,
            ..Default::default()
        };
        let actors = vec![
            RoleActors {
                project_id: "1".into(),
                role_id: "r1".into(),
                users: vec!["a".into()],
                ..Default::default()
            },
            RoleActors {
                project_id: "1".into(),
                role_id: "r2".into(),
                ..Default::default()
            },
            RoleActors {
                project_id: "2".into(),
                role_id: "r3".into(),
                groups: vec!["g".into()],
                ..Default::default()
            },
        ];
        let admins = vec!["adm".to_string()];
        assert_eq!(
            team_managed_grants(&project, &actors, &admins),
            vec![
                Holder::ApplicationRole { key: None },
                Holder::ProjectRole {
                    role_id: "r1".into()
                }
            ]
        );
        project.is_private = true;
        assert_eq!(
            team_managed_grants(&project, &actors, &admins),
            vec![
                Holder::ProjectRole {
                    role_id: "r1".into()
                },
                Holder::User {
                    account_id: "adm".into()
                }
            ]
        );
    }

    #[test]
    fn unknown_holders_are_listed_once() {
        let dir = Directory {
            browse_grants: vec![ProjectGrants {
                project_id: "1".into(),
                holders: vec![
                    Holder::from_jira("weird", None, None),
                    Holder::from_jira("weird", None, None),
                    Holder::Anyone,
                ],
            }],
            security_levels: vec![SecurityLevel {
                project_id: "2".into(),
                level_id: "l".into(),
                members: vec![Holder::from_jira("other", None, None)],
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(
            unknown_holders(&dir),
            vec![
                ("1".to_string(), "weird".to_string()),
                ("2".to_string(), "other".to_string())
            ]
        );
    }
}
