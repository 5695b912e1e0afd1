//! Model check: for random directories, issues and comments, the tag-based decision
//! (`principals_for_account(..).allows(&acl)`) equals a direct evaluation of Jira's
//! rules written here, per user and per document, without tags.

use access::*;
use proptest::prelude::*;

const ACCOUNTS: &[&str] = &["a0", "a1", "a2", "557058:a3", "a4"];
const GROUPS: &[&str] = &["g0", "g1", "g2"];
const PROJECTS: &[&str] = &["10", "11", "12"];
const ROLES: &[&str] = &["100", "101"];
const FIELDS: &[&str] = &["cf_1", "cf_2"];
const LEVELS: &[&str] = &["7", "8"];
const PRODUCTS: &[&str] = &["jira-software", "jira-servicedesk"];

fn pick(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(pool).prop_map(str::to_string)
}

fn subset(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    prop::sample::subsequence(pool, 0..=pool.len())
        .prop_map(|v| v.into_iter().map(str::to_string).collect())
}

fn holder() -> impl Strategy<Value = Holder> {
    prop_oneof![
        Just(Holder::Anyone),
        prop::option::of(pick(&["jira-software", "jira-servicedesk", "confluence"]))
            .prop_map(|key| Holder::ApplicationRole { key }),
        pick(GROUPS).prop_map(|group_id| Holder::Group { group_id }),
        pick(ACCOUNTS).prop_map(|account_id| Holder::User { account_id }),
        pick(&["100", "101", "102"]).prop_map(|role_id| Holder::ProjectRole { role_id }),
        Just(Holder::ProjectLead),
        Just(Holder::Reporter),
        Just(Holder::Assignee),
        pick(FIELDS).prop_map(|field_id| Holder::UserCustomField { field_id }),
        pick(FIELDS).prop_map(|field_id| Holder::GroupCustomField { field_id }),
        Just(Holder::Unknown {
            type_name: "sd.customer.portal.only".into()
        }),
    ]
}

fn directory() -> impl Strategy<Value = Directory> {
    let users = prop::collection::vec(any::<bool>(), ACCOUNTS.len()).prop_map(|active| {
        ACCOUNTS
            .iter()
            .zip(active)
            .map(|(acc, active)| DirUser {
                account_id: acc.to_string(),
                email: Some(format!("{acc}@example.com")),
                display_name: acc.to_string(),
                active,
                account_type: "atlassian".into(),
                product_keys: None,
            })
            .collect::<Vec<_>>()
    });
    let groups = prop::collection::vec(subset(ACCOUNTS), GROUPS.len()).prop_map(|members| {
        GROUPS
            .iter()
            .zip(members)
            .map(|(g, members)| DirGroup {
                group_id: g.to_string(),
                name: format!("name-{g}"),
                members,
            })
            .collect::<Vec<_>>()
    });
    let app_roles = prop::collection::vec(subset(GROUPS), PRODUCTS.len()).prop_map(|groups| {
        PRODUCTS
            .iter()
            .zip(groups)
            .map(|(k, group_ids)| AppRole {
                key: k.to_string(),
                group_ids,
            })
            .collect::<Vec<_>>()
    });
    let projects = prop::collection::vec(
        (
            prop::option::of(pick(ACCOUNTS)),
            prop::bool::weighted(0.2),
            prop::bool::weighted(0.5),
        ),
        PROJECTS.len(),
    )
    .prop_map(|v| {
        PROJECTS
            .iter()
            .zip(v)
            .map(|(pid, (lead, archived, team_managed))| DirProject {
                id: pid.to_string(),
                key: format!("K{pid}"),
                name: format!("Project {pid}"),
                lead,
                archived,
                team_managed,
                ..Default::default()
            })
            .collect::<Vec<_>>()
    });
    let role_actors = prop::collection::vec(
        (
            pick(PROJECTS),
            pick(ROLES),
            subset(ACCOUNTS),
            subset(GROUPS),
        ),
        0..6,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(project_id, role_id, users, groups)| RoleActors {
                project_id,
                role_name: format!("role {role_id}"),
                role_id,
                users,
                groups,
            })
            .collect::<Vec<_>>()
    });
    let grants = prop::collection::vec(
        (pick(PROJECTS), prop::collection::vec(holder(), 0..4)),
        0..5,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(project_id, holders)| ProjectGrants {
                project_id,
                holders,
            })
            .collect::<Vec<_>>()
    });
    let levels = prop::collection::vec(
        (
            pick(PROJECTS),
            pick(LEVELS),
            prop::collection::vec(holder(), 0..4),
        ),
        0..5,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(project_id, level_id, members)| SecurityLevel {
                project_id,
                name: format!("level {level_id}"),
                level_id,
                members,
            })
            .collect::<Vec<_>>()
    });
    (
        users,
        groups,
        app_roles,
        projects,
        role_actors,
        grants,
        levels,
    )
        .prop_map(
            |(
                users,
                groups,
                application_roles,
                projects,
                role_actors,
                browse_grants,
                security_levels,
            )| {
                Directory {
                    users,
                    groups,
                    application_roles,
                    projects,
                    role_actors,
                    browse_grants,
                    security_levels,
                    ..Default::default()
                }
            },
        )
}

fn issue() -> impl Strategy<Value = IssueFacts> {
    (
        pick(&["10", "11", "12", "13"]),
        prop::option::of(pick(ACCOUNTS)),
        prop::option::of(pick(ACCOUNTS)),
        prop::option::weighted(0.5, pick(&["7", "8", "9"])),
        prop::collection::vec((pick(FIELDS), pick(ACCOUNTS)), 0..4),
        prop::collection::vec((pick(FIELDS), pick(GROUPS)), 0..4),
        prop::option::weighted(0.25, subset(&["100", "101", "102"])),
    )
        .prop_map(
            |(project_id, reporter, assignee, level, user_fields, group_fields, restriction)| {
                IssueFacts {
                    project_id,
                    reporter,
                    assignee,
                    security_level_id: level,
                    user_fields,
                    group_fields,
                    restricted_to_roles: restriction,
                }
            },
        )
}

fn visibility() -> impl Strategy<Value = Option<CommentVisibility>> {
    prop_oneof![
        3 => Just(None),
        1 => pick(&["g0", "g1", "g2", "g9"]).prop_map(|group_id| Some(CommentVisibility::Group { group_id })),
        1 => pick(&["100", "101", "102"]).prop_map(|role_id| Some(CommentVisibility::Role { role_id })),
        1 => Just(Some(CommentVisibility::Unknown)),
    ]
}

/// Jira's rules, evaluated directly. `who` is `None` for anonymous.
struct Oracle<'a> {
    dir: &'a Directory,
    who: Option<&'a str>,
}

impl Oracle<'_> {
    fn in_group(&self, gid: &str) -> bool {
        let Some(me) = self.who else { return false };
        self.dir
            .groups
            .iter()
            .any(|g| g.group_id == gid && g.members.iter().any(|m| m == me))
    }

    fn has_role(&self, pid: &str, rid: &str) -> bool {
        let Some(me) = self.who else { return false };
        self.dir.role_actors.iter().any(|r| {
            r.project_id == pid
                && r.role_id == rid
                && (r.users.iter().any(|u| u == me) || r.groups.iter().any(|g| self.in_group(g)))
        })
    }

    fn has_product(&self, key: Option<&str>) -> bool {
        self.dir
            .application_roles
            .iter()
            .filter(|r| key.is_none_or(|k| r.key == k))
            .any(|r| r.group_ids.iter().any(|g| self.in_group(g)))
    }

    fn holds(&self, h: &Holder, project: &DirProject, issue: &IssueFacts) -> bool {
        let me = self.who;
        let is_me = |acc: &Option<String>| me.is_some() && acc.as_deref() == me;
        match h {
            Holder::Anyone => true,
            Holder::ApplicationRole { key } => self.has_product(key.as_deref()),
            Holder::Group { group_id } => self.in_group(group_id),
            Holder::User { account_id } => me == Some(account_id.as_str()),
            Holder::ProjectRole { role_id } => self.has_role(&project.id, role_id),
            Holder::ProjectLead => is_me(&project.lead),
            Holder::Reporter => is_me(&issue.reporter),
            Holder::Assignee => is_me(&issue.assignee),
            Holder::UserCustomField { field_id } => issue
                .user_fields
                .iter()
                .any(|(f, acc)| f == field_id && me == Some(acc.as_str())),
            Holder::GroupCustomField { field_id } => issue
                .group_fields
                .iter()
                .any(|(f, g)| f == field_id && self.in_group(g)),
            Holder::Unknown { .. } => false,
        }
    }

    fn may_see(&self, issue: &IssueFacts, vis: Option<&CommentVisibility>) -> bool {
        if let Some(me) = self.who
            && !self
                .dir
                .users
                .iter()
                .any(|u| u.account_id == me && u.active)
        {
            return false;
        }
        // Without product access an account sees what an anonymous visitor sees
        // (Atlassian, "Manage product access").
        if self.who.is_some() && !self.has_product(None) {
            return Oracle {
                dir: self.dir,
                who: None,
            }
            .may_see(issue, vis);
        }
        let Some(project) = self
            .dir
            .projects
            .iter()
            .find(|p| p.id == issue.project_id && !p.archived)
        else {
            return false;
        };
        let browse = self
            .dir
            .browse_grants
            .iter()
            .filter(|g| g.project_id == project.id)
            .flat_map(|g| &g.holders)
            .any(|h| self.holds(h, project, issue));
        let issue_ok = match (&issue.security_level_id, &issue.restricted_to_roles) {
            (None, None) => true,
            (Some(_), Some(_)) => false,
            (Some(lvl), None) => self
                .dir
                .security_levels
                .iter()
                .filter(|l| l.project_id == project.id && &l.level_id == lvl)
                .flat_map(|l| &l.members)
                .any(|h| self.holds(h, project, issue)),
            // Issue restrictions exist in team-managed projects only; elsewhere (which
            // Jira cannot produce) nobody passes.
            (None, Some(roles)) => {
                project.team_managed && roles.iter().any(|r| self.has_role(&project.id, r))
            }
        };
        let comment_ok = match vis {
            None => true,
            Some(CommentVisibility::Group { group_id }) => self.in_group(group_id),
            Some(CommentVisibility::Role { role_id }) => self.has_role(&project.id, role_id),
            Some(CommentVisibility::Unknown) => false,
        };
        browse && issue_ok && comment_ok
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn tags_agree_with_jira_rules(
        dir in directory(),
        docs in prop::collection::vec((issue(), visibility()), 1..8),
    ) {
        let anonymous = anonymous_principals(&dir);
        let index = DirectoryIndex::new(&dir);
        for acc in ACCOUNTS {
            prop_assert_eq!(
                index.principals_for_account(&dir, acc),
                principals_for_account(&dir, acc),
                "index and scan disagree for {}", acc
            );
        }
        for (facts, vis) in &docs {
            let acl = match vis {
                Some(v) => comment_acl(facts, Some(v), false),
                None => issue_acl(facts),
            };
            for acc in ACCOUNTS.iter().copied().chain(["stranger"]) {
                let by_tags = principals_for_account(&dir, acc).allows(&acl);
                let by_rules = Oracle { dir: &dir, who: Some(acc) }.may_see(facts, vis.as_ref());
                prop_assert_eq!(by_tags, by_rules, "account {} facts {:?} vis {:?}", acc, facts, vis);
                let why = explain(&dir, acc, facts, vis.as_ref());
                prop_assert_eq!(why.allowed, by_rules, "explain disagrees for {}", acc);
            }
            let anon_rules = Oracle { dir: &dir, who: None }.may_see(facts, vis.as_ref());
            prop_assert_eq!(anonymous.allows(&acl), anon_rules, "anonymous, facts {:?}", facts);
        }
    }

    /// The chunk's tags never depend on the directory: mutating groups, roles and
    /// grants can only change principal sets.
    #[test]
    fn chunk_tags_depend_only_on_issue_facts(
        facts in issue(),
        vis in visibility(),
        before in directory(),
        after in directory(),
    ) {
        let acl = comment_acl(&facts, vis.as_ref(), false);
        for dir in [&before, &after] {
            for acc in ACCOUNTS {
                let rules = Oracle { dir, who: Some(acc) }.may_see(&facts, vis.as_ref());
                prop_assert_eq!(principals_for_account(dir, acc).allows(&acl), rules);
            }
        }
    }

    /// An active account never holds less than anonymous, and Jira has no deny
    /// grants: adding someone to a group never hides anything from them.
    #[test]
    fn more_membership_never_sees_less(
        dir in directory(),
        docs in prop::collection::vec((issue(), visibility()), 1..6),
        acc in pick(ACCOUNTS),
        group in 0..GROUPS.len(),
    ) {
        let before = principals_for_account(&dir, &acc);
        if !before.is_empty() {
            prop_assert!(anonymous_principals(&dir).0.is_subset(&before.0));
        }
        let mut grown = dir.clone();
        grown.groups[group].members.push(acc.clone());
        let after = principals_for_account(&grown, &acc);
        prop_assert!(before.0.is_subset(&after.0));
        for (facts, vis) in &docs {
            let acl = comment_acl(facts, vis.as_ref(), false);
            prop_assert!(!before.allows(&acl) || after.allows(&acl));
        }
    }

    /// What the search uses for a caller (cache, email resolution) equals the
    /// direct computation, and `explain_email` agrees with it.
    #[test]
    fn email_paths_agree(
        dir in directory(),
        facts in issue(),
        vis in visibility(),
        who in pick(&["a0", "a1", "557058:a3", "nobody"]),
    ) {
        let mapping = EmailMapping::default();
        let email = format!(" {}@EXAMPLE.com", who.to_uppercase());
        let direct = principals_for_email(&dir, &email, &mapping);
        let cache = PrincipalCache::new();
        prop_assert_eq!(&*cache.get_or_compute(&dir, &email, &mapping), &direct);
        let acl = comment_acl(&facts, vis.as_ref(), false);
        let why = explain_email(&dir, &email, &mapping, &facts, vis.as_ref());
        prop_assert_eq!(why.allowed, direct.allows(&acl));
    }

    /// Directory JSON round-trips (it is persisted between runs).
    #[test]
    fn directory_json_round_trips(dir in directory()) {
        let json = serde_json::to_string(&dir).unwrap();
        let back: Directory = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, dir);
    }
}
