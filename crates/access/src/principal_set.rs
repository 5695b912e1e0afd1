//! The result of expansion: [`PrincipalSet`], the tags a person holds, and [`Grant`],
//! why they hold one. Both are plain data; the expansion that fills them lives in
//! `principals`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::acl::ChunkAcl;
use crate::directory::Holder;

/// The tags a person holds. A chunk is visible when every one of its three ACL gates
/// shares a tag with this set ([`PrincipalSet::allows`]).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct PrincipalSet(pub BTreeSet<String>);

impl PrincipalSet {
    /// Builds the set from tags in any order, with duplicates (sorting first lets the
    /// B-tree be built in bulk).
    pub(crate) fn from_unsorted(mut tags: Vec<String>) -> Self {
        // Expansion emits long sorted runs (groups, projects in directory order), which
        // the stable sort detects: much cheaper than an unstable sort here.
        tags.sort();
        tags.dedup();
        PrincipalSet(tags.into_iter().collect())
    }

    /// The tags, sorted: the values of the search filter's three "match any" clauses.
    pub fn tags(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }

    /// True for inactive and unknown accounts: they see nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of tags.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set holds this tag.
    pub fn contains(&self, tag: &str) -> bool {
        self.0.contains(tag)
    }

    /// Whether each of the chunk's three gates shares at least one tag with the set
    /// (the same test the index filter runs). An empty gate list denies.
    pub fn allows(&self, acl: &ChunkAcl) -> bool {
        [&acl.project, &acl.issue, &acl.comment]
            .iter()
            .all(|gate| gate.iter().any(|t| self.0.contains(t.as_str())))
    }
}

/// Why a principal holds a tag: the grant that gave it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Grant {
    /// `*`: every active account and anonymous hold it.
    Everyone,
    /// `lic`: the account holds Jira product access (an application role), which
    /// every other grant needs; it also opens internal (`jsdPublic: false`) comments.
    ProductAccess,
    /// A BROWSE_PROJECTS holder of the project's permission scheme.
    Browse {
        /// The project.
        project_id: String,
        /// The holder that covers the account.
        holder: Holder,
    },
    /// A member holder of an issue-security level.
    SecurityLevel {
        /// The project.
        project_id: String,
        /// The security level.
        level_id: String,
        /// The member holder that covers the account.
        holder: Holder,
    },
    /// The account holds this project role (directly or through a group).
    ProjectRole {
        /// The project.
        project_id: String,
        /// The role.
        role_id: String,
    },
    /// The account is a member of this group.
    GroupMember {
        /// The group.
        group_id: String,
    },
}
