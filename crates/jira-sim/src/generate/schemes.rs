//! Roles, fields and schemes: the global project roles, the custom fields grants may
//! name, the permission schemes (built by [`SchemeMaker`]) and the two issue security
//! schemes.

use super::ids::{
    APP_SERVICEDESK, CF_GROUP_PICKER, CF_USER_PICKER, ROLE_ADMINISTRATORS, ROLE_DEVELOPERS,
    ROLE_USERS,
};
use crate::model::{
    CustomField, Holder, IssueSecurityScheme, PermissionGrant, PermissionScheme, ProjectRoleDef,
    SecurityLevel, SecurityLevelMember,
};

/// The global project roles: Users, Developers, Administrators.
pub(super) fn project_roles() -> Vec<ProjectRoleDef> {
    vec![
        ProjectRoleDef {
            id: ROLE_USERS.into(),
            name: "Users".into(),
            description: "A project role that represents users in a project".into(),
        },
        ProjectRoleDef {
            id: ROLE_DEVELOPERS.into(),
            name: "Developers".into(),
            description: "A project role that represents developers in a project".into(),
        },
        ProjectRoleDef {
            id: ROLE_ADMINISTRATORS.into(),
            name: "Administrators".into(),
            description: "A project role that represents administrators in a project".into(),
        },
    ]
}

/// A user picker and a group picker (for userCustomField / groupCustomField holders).
pub(super) fn custom_fields() -> Vec<CustomField> {
    vec![
        CustomField {
            id: CF_USER_PICKER.into(),
            name: "Stakeholders".into(),
            kind: "user".into(),
        },
        CustomField {
            id: CF_GROUP_PICKER.into(),
            name: "Owning teams".into(),
            kind: "group".into(),
        },
    ]
}

/// Builds permission schemes, numbering their grants across schemes from 10100.
pub(super) struct SchemeMaker {
    grant_seq: u64,
    g_admins: String,
}

impl SchemeMaker {
    /// A maker whose schemes let `g_admins` set issue security.
    pub(super) fn new(g_admins: &str) -> Self {
        SchemeMaker {
            grant_seq: 10100,
            g_admins: g_admins.to_string(),
        }
    }

    /// A scheme granting BROWSE_PROJECTS, CREATE_ISSUES and ADD_COMMENTS to `browse`,
    /// and the usual grants to roles, the lead and the admins group.
    pub(super) fn make(&mut self, id: u64, name: String, browse: Vec<Holder>) -> PermissionScheme {
        let grant_seq = &mut self.grant_seq;
        let g_admins = &self.g_admins;
        let mut grants = Vec::new();
        let mut push = |permission: &str, holder: Holder, grants: &mut Vec<PermissionGrant>| {
            grants.push(PermissionGrant {
                id: grant_seq.to_string(),
                permission: permission.into(),
                holder,
            });
            *grant_seq += 1;
        };
        for h in &browse {
            push("BROWSE_PROJECTS", h.clone(), &mut grants);
        }
        for h in &browse {
            push("CREATE_ISSUES", h.clone(), &mut grants);
            push("ADD_COMMENTS", h.clone(), &mut grants);
        }
        push(
            "ADMINISTER_PROJECTS",
            Holder::ProjectRole {
                role_id: ROLE_ADMINISTRATORS.into(),
            },
            &mut grants,
        );
        push(
            "EDIT_ISSUES",
            Holder::ProjectRole {
                role_id: ROLE_DEVELOPERS.into(),
            },
            &mut grants,
        );
        push("ASSIGN_ISSUES", Holder::ProjectLead, &mut grants);
        push(
            "SET_ISSUE_SECURITY",
            Holder::Group {
                group_id: g_admins.clone(),
            },
            &mut grants,
        );
        PermissionScheme {
            id: id.to_string(),
            name,
            description: "Generated permission scheme".into(),
            grants,
        }
    }
}

/// The ENG scheme (security team and reporter) and the extended scheme whose levels
/// cover every holder type; `dave` is the user holder of the Confidential level.
pub(super) fn security_schemes(g_sec: &str, dave: &str) -> Vec<IssueSecurityScheme> {
    vec![
        IssueSecurityScheme {
            id: "10000".into(),
            name: "ENG Security Scheme".into(),
            description: "Restricts sensitive engineering issues".into(),
            default_level_id: None,
            levels: vec![SecurityLevel {
                id: "10100".into(),
                name: "Security-Restricted".into(),
                description: "Only the security team and the reporter".into(),
                members: vec![
                    SecurityLevelMember {
                        id: "10200".into(),
                        holder: Holder::Group {
                            group_id: g_sec.into(),
                        },
                    },
                    SecurityLevelMember {
                        id: "10201".into(),
                        holder: Holder::Reporter,
                    },
                ],
            }],
        },
        IssueSecurityScheme {
            id: "10001".into(),
            name: "Extended Security Scheme".into(),
            description: "Levels covering every holder type".into(),
            default_level_id: None,
            levels: vec![
                SecurityLevel {
                    id: "10101".into(),
                    name: "Internal".into(),
                    description: "Developers, the assignee and stakeholders".into(),
                    members: vec![
                        SecurityLevelMember {
                            id: "10210".into(),
                            holder: Holder::ProjectRole {
                                role_id: ROLE_DEVELOPERS.into(),
                            },
                        },
                        SecurityLevelMember {
                            id: "10211".into(),
                            holder: Holder::Assignee,
                        },
                        SecurityLevelMember {
                            id: "10212".into(),
                            holder: Holder::UserCustomField {
                                field_id: CF_USER_PICKER.into(),
                            },
                        },
                    ],
                },
                SecurityLevel {
                    id: "10102".into(),
                    name: "Confidential".into(),
                    description: "The lead, Dave, owning teams and service desk agents".into(),
                    members: vec![
                        SecurityLevelMember {
                            id: "10220".into(),
                            holder: Holder::ProjectLead,
                        },
                        SecurityLevelMember {
                            id: "10221".into(),
                            holder: Holder::User {
                                account_id: dave.into(),
                            },
                        },
                        SecurityLevelMember {
                            id: "10222".into(),
                            holder: Holder::GroupCustomField {
                                field_id: CF_GROUP_PICKER.into(),
                            },
                        },
                        SecurityLevelMember {
                            id: "10223".into(),
                            holder: Holder::ApplicationRole {
                                key: Some(APP_SERVICEDESK.into()),
                            },
                        },
                    ],
                },
            ],
        },
    ]
}
