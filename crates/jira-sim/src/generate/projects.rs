//! The projects of a generated site: the four story projects (ENG, OPS, HR, PUB), then
//! generated projects cycling through every BROWSE_PROJECTS holder type, archived and
//! team-managed projects, each with its permission scheme and the people who work in
//! it; and the private team-managed LAB project added last.

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::draw::pick;
use super::identity::{Cast, GroupIds};
use super::ids::{
    APP_SERVICEDESK, APP_SOFTWARE, CF_GROUP_PICKER, CF_USER_PICKER, LAB_KEY, ROLE_ADMINISTRATORS,
    ROLE_DEVELOPERS, ROLE_USERS,
};
use super::schemes::SchemeMaker;
use crate::model::{Group, Holder, PermissionScheme, Project, RoleActor};

/// Kinds of generated projects beyond the four story projects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ExtraKind {
    AppRoleSoftware,
    AppRoleAny,
    AppRoleServiceDesk,
    ProjectLead,
    Reporter,
    Assignee,
    UserCustomField,
    GroupCustomField,
    Archived,
    TeamOpen,
    TeamPrivate,
    GroupWithSecurity,
}

const EXTRA_KINDS: [ExtraKind; 12] = [
    ExtraKind::AppRoleSoftware,
    ExtraKind::ProjectLead,
    ExtraKind::Reporter,
    ExtraKind::Archived,
    ExtraKind::TeamOpen,
    ExtraKind::Assignee,
    ExtraKind::UserCustomField,
    ExtraKind::GroupCustomField,
    ExtraKind::TeamPrivate,
    ExtraKind::AppRoleAny,
    ExtraKind::AppRoleServiceDesk,
    ExtraKind::GroupWithSecurity,
];

const EXTRA_KEYS: [&str; 20] = [
    "PAY", "WEB", "DATA", "MOB", "API", "SUP", "INF", "MKT", "SEC", "QA", "BILL", "AUTH", "SRCH",
    "DEV", "FIN", "LEG", "OPSX", "CRM", "ML", "DOC",
];
const EXTRA_NAMES: [&str; 20] = [
    "Payments",
    "Website",
    "Data Platform",
    "Mobile",
    "Public API",
    "Support",
    "Infrastructure",
    "Marketing",
    "Security",
    "Quality",
    "Billing",
    "Identity",
    "Search",
    "Developer Tools",
    "Finance",
    "Legal",
    "Operations Extra",
    "Customer Relations",
    "Machine Learning",
    "Documentation",
];

/// The projects and what goes with each, in project order.
pub(super) struct Site {
    pub(super) projects: Vec<Project>,
    /// Candidate reporters/assignees/commenters per project.
    pub(super) people: Vec<Vec<String>>,
    /// What each generated project exercises (None for the story projects).
    pub(super) kinds: Vec<Option<ExtraKind>>,
    pub(super) permission_schemes: Vec<PermissionScheme>,
}

/// Role actors of a project: the given administrators and developers, jira-users as
/// Users.
fn roles_default(
    g_users: &str,
    admin_actor: Vec<RoleActor>,
    dev: Vec<RoleActor>,
) -> BTreeMap<String, Vec<RoleActor>> {
    let mut m = BTreeMap::new();
    m.insert(ROLE_ADMINISTRATORS.to_string(), admin_actor);
    m.insert(ROLE_DEVELOPERS.to_string(), dev);
    m.insert(
        ROLE_USERS.to_string(),
        vec![RoleActor::Group {
            group_id: g_users.to_string(),
        }],
    );
    m
}

/// A live classic software project.
fn classic(
    id: u64,
    key: &str,
    name: &str,
    lead: &str,
    scheme: String,
    roles: BTreeMap<String, Vec<RoleActor>>,
) -> Project {
    Project {
        id: id.to_string(),
        key: key.into(),
        name: name.into(),
        project_type_key: "software".into(),
        style: "classic".into(),
        is_private: false,
        archived: false,
        lead_account_id: lead.into(),
        permission_scheme_id: Some(scheme),
        security_scheme_id: None,
        access_level: None,
        role_actors: roles,
    }
}

/// The story projects, then `n_projects - 4` generated ones (same draws as ever).
pub(super) fn projects(
    rng: &mut ChaCha8Rng,
    n_projects: usize,
    n_groups: usize,
    groups: &[Group],
    cast: &Cast,
    g: &GroupIds,
) -> Site {
    let Cast {
        alice,
        bob,
        carol,
        dave,
        erin,
        frank,
        grace,
        heidi,
        ivan,
        judy,
        mallory,
        extra: extra_users,
        ..
    } = cast;
    let (g_users, g_eng, g_ops) = (&g.users, &g.eng, &g.ops);
    let mut maker = SchemeMaker::new(&g.admins);
    let mut make_scheme = |id, name, browse| maker.make(id, name, browse);
    let roles_default = |admin_actor, dev| roles_default(g_users, admin_actor, dev);
    let mut permission_schemes: Vec<PermissionScheme> = Vec::new();
    let mut projects = Vec::with_capacity(n_projects);
    // Candidate reporters/assignees/commenters per project.
    let mut people: Vec<Vec<String>> = Vec::with_capacity(n_projects);
    let mut kinds: Vec<Option<ExtraKind>> = Vec::with_capacity(n_projects);
    // ENG
    permission_schemes.push(make_scheme(
        10000,
        "ENG Permission Scheme".into(),
        vec![Holder::Group {
            group_id: g_eng.clone(),
        }],
    ));
    let mut eng = classic(
        10000,
        "ENG",
        "Engineering",
        alice,
        "10000".into(),
        roles_default(
            vec![RoleActor::User {
                account_id: alice.clone(),
            }],
            vec![RoleActor::User {
                account_id: bob.clone(),
            }],
        ),
    );
    eng.security_scheme_id = Some("10000".into());
    projects.push(eng);
    people.push(vec![
        alice.clone(),
        bob.clone(),
        carol.clone(),
        ivan.clone(),
    ]);
    kinds.push(None);
    // OPS
    permission_schemes.push(make_scheme(
        10001,
        "OPS Permission Scheme".into(),
        vec![Holder::ProjectRole {
            role_id: ROLE_DEVELOPERS.into(),
        }],
    ));
    projects.push(classic(
        10001,
        "OPS",
        "Operations",
        erin,
        "10001".into(),
        roles_default(
            vec![RoleActor::User {
                account_id: erin.clone(),
            }],
            vec![
                RoleActor::User {
                    account_id: frank.clone(),
                },
                RoleActor::Group {
                    group_id: g_ops.clone(),
                },
            ],
        ),
    ));
    people.push(vec![erin.clone(), frank.clone()]);
    kinds.push(None);
    // HR
    permission_schemes.push(make_scheme(
        10002,
        "HR Permission Scheme".into(),
        vec![Holder::User {
            account_id: grace.clone(),
        }],
    ));
    projects.push(classic(
        10002,
        "HR",
        "People Operations",
        grace,
        "10002".into(),
        roles_default(
            vec![RoleActor::User {
                account_id: grace.clone(),
            }],
            vec![],
        ),
    ));
    people.push(vec![grace.clone()]);
    kinds.push(None);
    // PUB
    permission_schemes.push(make_scheme(
        10003,
        "Public Permission Scheme".into(),
        vec![Holder::Anyone],
    ));
    let mut public_help = classic(
        10003,
        "PUB",
        "Public Help",
        judy,
        "10003".into(),
        roles_default(
            vec![RoleActor::User {
                account_id: judy.clone(),
            }],
            vec![RoleActor::Group {
                group_id: g_eng.clone(),
            }],
        ),
    );
    // A Jira Service Management project: its comments may be internal.
    public_help.project_type_key = "service_desk".into();
    projects.push(public_help);
    people.push(vec![
        judy.clone(),
        alice.clone(),
        heidi.clone(),
        dave.clone(),
        erin.clone(),
        bob.clone(),
    ]);
    kinds.push(None);

    for i in 4..n_projects {
        let kind = EXTRA_KINDS[(i - 4) % EXTRA_KINDS.len()];
        let round = (i - 4) / EXTRA_KEYS.len();
        let key = if round == 0 {
            EXTRA_KEYS[(i - 4) % EXTRA_KEYS.len()].to_string()
        } else {
            format!("{}{}", EXTRA_KEYS[(i - 4) % EXTRA_KEYS.len()], round + 1)
        };
        let name = if round == 0 {
            EXTRA_NAMES[(i - 4) % EXTRA_NAMES.len()].to_string()
        } else {
            format!("{} {}", EXTRA_NAMES[(i - 4) % EXTRA_NAMES.len()], round + 1)
        };
        let mut crowd: Vec<String> = extra_users
            .choose_multiple(rng, extra_users.len().min(8))
            .cloned()
            .collect();
        crowd.push(
            pick(
                rng,
                &[
                    alice.clone(),
                    bob.clone(),
                    dave.clone(),
                    judy.clone(),
                    frank.clone(),
                ],
            )
            .clone(),
        );
        let lead = crowd[0].clone();
        let pid = 10000 + i as u64;
        let dev_group = groups[6 + (i % (n_groups - 6).max(1))].group_id.clone();
        let dev_group = if n_groups > 6 {
            dev_group
        } else {
            g_eng.clone()
        };
        let roles = roles_default(
            vec![RoleActor::User {
                account_id: lead.clone(),
            }],
            vec![
                RoleActor::Group {
                    group_id: dev_group.clone(),
                },
                RoleActor::User {
                    account_id: crowd[1 % crowd.len()].clone(),
                },
            ],
        );
        let browse = match kind {
            ExtraKind::AppRoleSoftware => vec![Holder::ApplicationRole {
                key: Some(APP_SOFTWARE.into()),
            }],
            ExtraKind::AppRoleAny => vec![Holder::ApplicationRole { key: None }],
            ExtraKind::AppRoleServiceDesk => vec![Holder::ApplicationRole {
                key: Some(APP_SERVICEDESK.into()),
            }],
            ExtraKind::ProjectLead => vec![
                Holder::ProjectLead,
                Holder::ProjectRole {
                    role_id: ROLE_ADMINISTRATORS.into(),
                },
            ],
            ExtraKind::Reporter => vec![Holder::Reporter],
            ExtraKind::Assignee => vec![
                Holder::Assignee,
                Holder::Group {
                    group_id: dev_group.clone(),
                },
            ],
            ExtraKind::UserCustomField => vec![Holder::UserCustomField {
                field_id: CF_USER_PICKER.into(),
            }],
            ExtraKind::GroupCustomField => vec![Holder::GroupCustomField {
                field_id: CF_GROUP_PICKER.into(),
            }],
            ExtraKind::Archived => vec![Holder::Group {
                group_id: g_eng.clone(),
            }],
            ExtraKind::GroupWithSecurity => vec![
                Holder::Group {
                    group_id: dev_group.clone(),
                },
                Holder::ProjectRole {
                    role_id: ROLE_DEVELOPERS.into(),
                },
            ],
            ExtraKind::TeamOpen | ExtraKind::TeamPrivate => vec![],
        };
        let mut project = classic(pid, &key, &name, &lead, String::new(), roles);
        match kind {
            ExtraKind::TeamOpen | ExtraKind::TeamPrivate => {
                project.style = "next-gen".into();
                project.permission_scheme_id = None;
                let private = kind == ExtraKind::TeamPrivate;
                project.is_private = private;
                project.access_level = Some(if private { "private" } else { "open" }.into());
                project.project_type_key = if private {
                    "business".into()
                } else {
                    "software".into()
                };
            }
            _ => {
                let sid = 10000 + i as u64;
                permission_schemes.push(make_scheme(
                    sid,
                    format!("{name} Permission Scheme"),
                    browse,
                ));
                project.permission_scheme_id = Some(sid.to_string());
                if matches!(
                    kind,
                    ExtraKind::GroupWithSecurity | ExtraKind::AppRoleSoftware | ExtraKind::Assignee
                ) {
                    project.security_scheme_id = Some("10001".into());
                }
                if kind == ExtraKind::Archived {
                    project.archived = true;
                }
                if kind == ExtraKind::AppRoleServiceDesk {
                    project.project_type_key = "service_desk".into();
                    crowd.push(mallory.clone());
                }
            }
        }
        projects.push(project);
        people.push(crowd);
        kinds.push(Some(kind));
    }
    Site {
        projects,
        people,
        kinds,
        permission_schemes,
    }
}

/// Peggy becomes a user actor of OPS's Developers role.
pub(super) fn add_late_role_actors(projects: &mut [Project], peggy: &str) {
    if let Some(ops) = projects.iter_mut().find(|p| p.key == "OPS") {
        ops.role_actors
            .entry(ROLE_DEVELOPERS.to_string())
            .or_default()
            .push(RoleActor::User {
                account_id: peggy.to_string(),
            });
    }
}

/// The private team-managed project: Carol administers it, Trent (no product access)
/// and the security team are its developers; no Users role actor.
pub(super) fn private_lab_project(id: u64, carol: &str, trent: &str, g_sec: &str) -> Project {
    let mut roles = BTreeMap::new();
    roles.insert(
        ROLE_ADMINISTRATORS.to_string(),
        vec![RoleActor::User {
            account_id: carol.into(),
        }],
    );
    roles.insert(
        ROLE_DEVELOPERS.to_string(),
        vec![
            RoleActor::User {
                account_id: trent.into(),
            },
            RoleActor::Group {
                group_id: g_sec.into(),
            },
        ],
    );
    roles.insert(ROLE_USERS.to_string(), vec![]);
    Project {
        id: id.to_string(),
        key: LAB_KEY.into(),
        name: "Research Lab".into(),
        project_type_key: "software".into(),
        style: "next-gen".into(),
        is_private: true,
        archived: false,
        lead_account_id: carol.into(),
        permission_scheme_id: None,
        security_scheme_id: None,
        access_level: Some("private".into()),
        role_actors: roles,
    }
}
