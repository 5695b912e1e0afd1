//! The subject of an expansion: what the directory says about one account (its
//! groups, products and project roles) or about an anonymous visitor, and which
//! static permission holders cover it. [`scan`] builds it by scanning the directory;
//! a [`crate::DirectoryIndex`] builds the same subject by lookup.

use rustc_hash::FxHashSet as HashSet;

use crate::directory::{DirProject, Directory, Holder};

/// Who is being expanded, with what the directory says about them.
pub(crate) struct Subject<'a> {
    /// `None` = anonymous.
    pub(crate) account_id: Option<&'a str>,
    pub(crate) groups: HashSet<&'a str>,
    /// The same groups, sorted (tags are emitted in a stable order).
    pub(crate) sorted_groups: Vec<&'a str>,
    /// Keys of the application roles (products) the account holds.
    pub(crate) app_keys: HashSet<&'a str>,
    /// (project id, role id) pairs the account holds.
    pub(crate) roles: HashSet<(&'a str, &'a str)>,
}

impl Subject<'_> {
    pub(crate) fn anonymous() -> Self {
        Subject {
            account_id: None,
            groups: HashSet::default(),
            sorted_groups: Vec::new(),
            app_keys: HashSet::default(),
            roles: HashSet::default(),
        }
    }

    /// Whether a static holder covers the subject in `project`. Dynamic holders and
    /// `Unknown` never do.
    pub(crate) fn covered_by(&self, holder: &Holder, project: &DirProject) -> bool {
        match holder {
            Holder::Anyone => true,
            Holder::ApplicationRole { key: Some(k) } => self.app_keys.contains(k.as_str()),
            Holder::ApplicationRole { key: None } => !self.app_keys.is_empty(),
            Holder::Group { group_id } => self.groups.contains(group_id.as_str()),
            Holder::User { account_id } => self.account_id == Some(account_id.as_str()),
            Holder::ProjectRole { role_id } => self
                .roles
                .contains(&(project.id.as_str(), role_id.as_str())),
            Holder::ProjectLead => {
                self.account_id.is_some() && project.lead.as_deref() == self.account_id
            }
            Holder::Reporter
            | Holder::Assignee
            | Holder::UserCustomField { .. }
            | Holder::GroupCustomField { .. }
            | Holder::Unknown { .. } => false,
        }
    }
}

/// Whether an active account of this type, with these groups, holds Jira product
/// access (see [`Directory::has_product_access`]; the same rule, on the expansion's
/// subject).
pub(crate) fn is_licensed(subject: &Subject<'_>, account_type: &str) -> bool {
    match account_type {
        "customer" => false,
        _ => !subject.app_keys.is_empty(),
    }
}

/// Whether a project can be browsed at all: archived projects grant nothing.
pub(crate) fn is_live(project: &DirProject) -> bool {
    !project.archived && !project.id.is_empty()
}

pub(crate) fn sorted<'a>(set: &HashSet<&'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = set.iter().copied().collect();
    v.sort_unstable();
    v
}

/// With the application roles unreadable: Jira's own answer for the account (`GET
/// /user?expand=applicationRoles`); an account not read holds nothing (fail closed).
pub(crate) fn own_product_keys<'a, S: std::iter::FromIterator<&'a str>>(
    dir: &'a Directory,
    acc: &str,
) -> S {
    dir.users
        .iter()
        .find(|u| u.account_id == acc)
        .and_then(|u| u.product_keys.as_ref())
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect()
}

/// What the directory says about the subject: groups, products, roles.
pub(crate) fn scan<'a>(dir: &'a Directory, acc: &'a str) -> Subject<'a> {
    let groups: HashSet<&str> = dir
        .groups
        .iter()
        .filter(|g| !g.group_id.is_empty() && g.members.iter().any(|m| m == acc))
        .map(|g| g.group_id.as_str())
        .collect();
    let app_keys: HashSet<&str> = if dir.application_roles_unreadable {
        own_product_keys(dir, acc)
    } else {
        dir.application_roles
            .iter()
            .filter(|r| r.group_ids.iter().any(|g| groups.contains(g.as_str())))
            .map(|r| r.key.as_str())
            .collect()
    };
    let roles: HashSet<(&str, &str)> = dir
        .role_actors
        .iter()
        .filter(|r| !r.project_id.is_empty() && !r.role_id.is_empty())
        .filter(|r| {
            r.users.iter().any(|u| u == acc) || r.groups.iter().any(|g| groups.contains(g.as_str()))
        })
        .map(|r| (r.project_id.as_str(), r.role_id.as_str()))
        .collect();
    Subject {
        account_id: Some(acc),
        sorted_groups: sorted(&groups),
        groups,
        app_keys,
        roles,
    }
}
