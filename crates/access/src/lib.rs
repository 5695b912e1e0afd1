//! `access` decides who may read what, as Jira would: it turns the synced
//! [`Directory`] (users, groups, products, projects, roles, BROWSE_PROJECTS grants,
//! issue-security levels) into **principal sets** for people, and the facts of an
//! issue into **ACL tags** on its chunks. A person sees a chunk when each of the
//! chunk's three tag lists shares a tag with the person's set.
//!
//! What this crate owns: identity resolution (email → accountId, with the admin's
//! mapping file for hidden emails), document ACL tags, and principal-set expansion.
//! What it must never do: I/O, network, clocks, or reading the index. It takes data
//! and returns data, so it is tested and fuzzed without servers. Its one concession to
//! the outside world is a `tracing` warning, once per (project, holder type), for
//! permission holders it does not understand.
//!
//! # Tag vocabulary
//!
//! | gate (chunk field) | tags on the chunk ([`issue_acl`], [`comment_acl`]) | a person holds the tag when ([`principals_for_account`]) |
//! |---|---|---|
//! | project browse (`acl_project`) | `p:<pid>` | a static BROWSE_PROJECTS holder of project `pid` covers them: `anyone`; `applicationRole` with key (member of a group of that product) or without (member of any product's group); `group`; `user`; `projectRole` (user actor, or member of a group actor, in `pid`); `projectLead` |
//! | | `p:<pid>:reporter:<acc>`, `p:<pid>:assignee:<acc>`, `p:<pid>:ucf:<field>:<acc>`, `p:<pid>:gcf:<field>:<groupId>`: always written, whatever the scheme says today | the tag names them (or, for `gcf`, a group of theirs) **and** the project's grants name that holder type (`reporter`, `assignee`, `userCustomField <field>`, `groupCustomField <field>`) now |
//! | issue security (`acl_issue`) | `*` when unrestricted | always |
//! | | `sl:<levelId>:<pid>` and the dynamic `sl:<levelId>:<pid>:reporter:<acc>`, `…:assignee:<acc>`, `…:ucf:<field>:<acc>`, `…:gcf:<field>:<groupId>` | as for browse, with the members of that level of project `pid` |
//! | | `tr:<pid>:<roleId>` per role of a team-managed issue restriction | they hold that role in `pid` |
//! | comment visibility (`acl_comment`) | `*` for issue/attachment chunks and unrestricted comments | always |
//! | | `g:<groupId>` | they are in the group |
//! | | `r:<pid>:<roleId>` | they hold the role in the issue's project `pid` |
//!
//! Every active account holds `*`; an inactive or unknown account holds nothing.
//! Someone Jira does not know ([`Identity::Unmatched`]) holds `*` plus the `p:`/`sl:`
//! tags that `anyone` grants ([`anonymous_principals`]): never product access.
//! Archived projects grant nothing (no `p:`, `sl:`, `tr:`, `r:` tags for them), nor
//! do projects absent from [`Directory::projects`].
//!
//! # Fail closed
//!
//! A restriction the sync could not read ([`CommentVisibility::Unknown`], an empty
//! team-managed restriction, a security level together with a team-managed
//! restriction, an issue without a project) becomes [`DENY_TAG`], which no set holds.
//! A holder type this crate does not know ([`Holder::Unknown`], also
//! `sd.customer.portal.only`) grants nothing; [`unknown_holders`] lists them for the
//! admin.
//!
//! # Why tags
//!
//! [`issue_acl`] and [`comment_acl`] read only [`IssueFacts`], never the directory:
//! group, role and scheme changes alter principal sets only (recomputed from the next
//! directory, cached per caller in [`PrincipalCache`]); no chunk is rewritten.
//!
//! # Explaining and scale
//!
//! [`explain`] answers "why does (or doesn't) this account see this chunk?" gate by
//! gate, naming the grant behind each shared tag; it runs the same expansion as the
//! search, so it cannot disagree with it. [`identity_report`] lists what an admin can
//! fix (hidden emails not yet mapped, inactive accounts, dead mapping lines).
//!
//! [`principals_for_account`] scans the directory: 5–6 ms for a person in 75 groups
//! on a site with 1,000 projects, 10,000 groups and 20,000 users (optimized build,
//! `tests/scale.rs`). A [`DirectoryIndex`] (built once, 40–60 ms there) brings that
//! to 1.5–2 ms; [`PrincipalCache`] keeps one and the finished sets (a hit costs
//! nanoseconds). A person's set grows with their groups times the projects whose
//! grants name a `groupCustomField` (one `…:gcf:<field>:<groupId>` tag per pair):
//! the 6,000 tags of that benchmark person are 3,750 such tags from 50 projects. The
//! index filter must accept term sets of that size.
//!
//! Ids are used verbatim in tags. Jira's project, role, level and custom-field ids
//! contain no `:`; account ids may (`557058:…`), which is unambiguous because the
//! account id is always the last component.
//!
//! ```
//! use access::*;
//! let dir = Directory {
//!     users: vec![DirUser { account_id: "ann".into(), email: Some("Ann@example.com".into()),
//!                           active: true, account_type: "atlassian".into(), ..Default::default() }],
//!     groups: vec![DirGroup { group_id: "g-dev".into(), name: "developers".into(), members: vec!["ann".into()] }],
//!     // Grants count only for people with Jira product access (an application role).
//!     application_roles: vec![AppRole { key: "jira-software".into(), group_ids: vec!["g-dev".into()] }],
//!     projects: vec![DirProject { id: "10000".into(), key: "DEV".into(), ..Default::default() }],
//!     browse_grants: vec![ProjectGrants { project_id: "10000".into(),
//!                                         holders: vec![Holder::from_jira("group", Some("developers"), Some("g-dev"))] }],
//!     ..Default::default()
//! };
//! let facts = IssueFacts { project_id: "10000".into(), ..Default::default() };
//! let ann = principals_for_email(&dir, " ann@EXAMPLE.com", &EmailMapping::default());
//! assert!(ann.allows(&issue_acl(&facts)));
//! let restricted = CommentVisibility::Group { group_id: "g-admins".into() };
//! assert!(!ann.allows(&comment_acl(&facts, Some(&restricted), false)));
//! assert!(!anonymous_principals(&dir).allows(&issue_acl(&facts)));
//! ```

#![warn(missing_docs)]

mod acl;
mod cache;
mod directory;
mod error;
mod explain;
mod identity;
mod index;
mod principal_set;
mod principals;
mod subject;

pub use acl::{
    ANY_TAG, ChunkAcl, CommentVisibility, DENY_TAG, IssueFacts, LICENSED_TAG, comment_acl,
    issue_acl, tag,
};
pub use cache::PrincipalCache;
pub use directory::{
    AppRole, DirGroup, DirProject, DirUser, Directory, Holder, ProjectGrants, RoleActors,
    SecurityLevel, team_managed_grants, unknown_holders,
};
pub use error::AccessError;
pub use explain::{
    AccountStatus, Explanation, Gate, GateExplanation, MatchedTag, explain, explain_email,
    explain_stored_tags,
};
pub use identity::{
    EmailMapping, Identity, IdentityReport, MappedEmail, MappingStatus, identity_report,
    normalize_email, principals_for_email, resolve_email,
};
pub use index::DirectoryIndex;
pub use principal_set::{Grant, PrincipalSet};
pub use principals::{anonymous_principals, principals_for_account};
