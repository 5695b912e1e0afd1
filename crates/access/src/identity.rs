//! Identity: which Jira account a search caller (known by email) is. Visible emails
//! match case-insensitively after trimming; users whose email Jira hides are found
//! through the admin's mapping file. Unmatched callers search as anonymous, inactive
//! accounts see nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::directory::{DirUser, Directory};
use crate::error::AccessError;
use crate::principal_set::PrincipalSet;
use crate::principals::{anonymous_principals, principals_for_account};

/// How a caller's email was matched to a Jira account.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Identity {
    /// An active account.
    Matched {
        /// The account's id.
        account_id: String,
    },
    /// An account that is deactivated in Jira: sees nothing.
    Inactive {
        /// The account's id.
        account_id: String,
    },
    /// No account: sees only what `anyone` may see.
    Unmatched,
}

/// Trims and lower-cases an email: the key of every email comparison.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The admin's mapping of emails to account ids, for users whose email Jira hides.
/// Keys are normalized ([`normalize_email`]).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct EmailMapping(BTreeMap<String, String>);

impl EmailMapping {
    /// Parses a mapping file, TOML or JSON:
    ///
    /// ```toml
    /// "alice@example.com" = "557058:0a1b2c"
    /// # or, grouped under a table:
    /// [emails]
    /// "bob@example.com" = "557058:3d4e5f"
    /// ```
    ///
    /// JSON: `{"alice@example.com": "557058:0a1b2c"}` (an `emails` object is read the
    /// same way), or `[{"email": "...", "account_id": "..."}]` (also `accountId`).
    /// Emails are normalized; an email mapped to two different accounts, an empty
    /// account id or a key that is not an email is an error naming the entry.
    ///
    /// ```
    /// let m = access::EmailMapping::parse("\" Alice@Example.com \" = \"acc-1\"").unwrap();
    /// assert_eq!(m.get("alice@example.com"), Some("acc-1"));
    /// ```
    pub fn parse(text: &str) -> Result<Self, AccessError> {
        let trimmed = text.trim_start();
        let value: Value = if trimmed.starts_with('{') || trimmed.starts_with('[') {
            serde_json::from_str(text).map_err(|e| AccessError::MappingSyntax {
                format: "JSON",
                detail: e.to_string(),
            })?
        } else {
            let table: toml::Table =
                toml::from_str(text).map_err(|e| AccessError::MappingSyntax {
                    format: "TOML",
                    detail: e.to_string(),
                })?;
            serde_json::to_value(table).map_err(|e| AccessError::MappingSyntax {
                format: "TOML",
                detail: e.to_string(),
            })?
        };
        let mut mapping = EmailMapping::default();
        mapping.read_value(&value, "")?;
        Ok(mapping)
    }

    fn read_value(&mut self, value: &Value, path: &str) -> Result<(), AccessError> {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    match v {
                        Value::String(acc) => self.insert_checked(key, acc)?,
                        Value::Object(_) | Value::Array(_)
                            if path.is_empty() && is_section_name(key) =>
                        {
                            self.read_value(v, key)?
                        }
                        _ => {
                            return Err(AccessError::MappingEntry {
                                entry: qualified(path, key),
                                detail: "expected \"email\" = \"accountId\"".into(),
                            });
                        }
                    }
                }
                Ok(())
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let entry = format!("{}[{i}]", if path.is_empty() { "" } else { path });
                    let email = item.get("email").and_then(Value::as_str);
                    let acc = item
                        .get("account_id")
                        .or_else(|| item.get("accountId"))
                        .and_then(Value::as_str);
                    match (email, acc) {
                        (Some(email), Some(acc)) => self.insert_checked(email, acc)?,
                        _ => {
                            return Err(AccessError::MappingEntry {
                                entry,
                                detail: "expected {email, account_id}".into(),
                            });
                        }
                    }
                }
                Ok(())
            }
            _ => Err(AccessError::MappingEntry {
                entry: if path.is_empty() {
                    "(top level)".into()
                } else {
                    path.into()
                },
                detail: "expected a table of \"email\" = \"accountId\"".into(),
            }),
        }
    }

    fn insert_checked(&mut self, email: &str, account_id: &str) -> Result<(), AccessError> {
        let key = normalize_email(email);
        let acc = account_id.trim();
        if !key.contains('@') {
            return Err(AccessError::MappingEntry {
                entry: email.to_string(),
                detail: "not an email address".into(),
            });
        }
        if acc.is_empty() {
            return Err(AccessError::MappingEntry {
                entry: email.to_string(),
                detail: "empty account id".into(),
            });
        }
        match self.0.get(&key) {
            Some(existing) if existing != acc => Err(AccessError::MappingConflict {
                email: key,
                first: existing.clone(),
                second: acc.to_string(),
            }),
            _ => {
                self.0.insert(key, acc.to_string());
                Ok(())
            }
        }
    }

    /// Adds or replaces one mapping (the email is normalized).
    pub fn insert(&mut self, email: &str, account_id: &str) {
        self.0
            .insert(normalize_email(email), account_id.trim().to_string());
    }

    /// The account an email is mapped to.
    pub fn get(&self, email: &str) -> Option<&str> {
        self.0.get(&normalize_email(email)).map(String::as_str)
    }

    /// (normalized email, account id) pairs, sorted by email.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(e, a)| (e.as_str(), a.as_str()))
    }

    /// Number of mapped emails.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn is_section_name(key: &str) -> bool {
    matches!(key, "emails" | "mapping" | "mappings" | "users")
}

fn qualified(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Whether `email` normalizes to `normalized` (already normalized), without
/// allocating in the common all-ASCII case.
fn same_email(email: &str, normalized: &str) -> bool {
    let email = email.trim();
    if email.is_ascii() {
        email.eq_ignore_ascii_case(normalized)
    } else {
        email.to_lowercase() == normalized
    }
}

/// The account whose visible email is `email` (trimmed, case-insensitive); with
/// several, a person (`atlassian` account) before a customer before an app account
/// (an app never outranks a person, even an inactive one: that caller then sees
/// nothing, fail closed), then an active one first, then the lowest account id.
fn by_visible_email<'a>(dir: &'a Directory, normalized: &str) -> Option<&'a DirUser> {
    dir.users
        .iter()
        .filter(|u| {
            u.email
                .as_deref()
                .is_some_and(|e| same_email(e, normalized))
        })
        .min_by(|a, b| {
            let kind = |u: &DirUser| match u.account_type.as_str() {
                "atlassian" => 0,
                "customer" => 1,
                _ => 2,
            };
            let rank = |u: &DirUser| (kind(u), !u.active);
            rank(a)
                .cmp(&rank(b))
                .then_with(|| a.account_id.cmp(&b.account_id))
        })
}

/// The account a mapping line names, when the directory holds it.
fn by_mapping<'a>(
    dir: &'a Directory,
    normalized: &str,
    mapping: &EmailMapping,
) -> Option<&'a DirUser> {
    let acc = mapping.0.get(normalized)?;
    let mut entries = dir.users.iter().filter(|u| &u.account_id == acc);
    let first = entries.next()?;
    Some(if first.active {
        first
    } else {
        entries.find(|u| u.active).unwrap_or(first)
    })
}

/// Resolves a caller's email: visible emails first (trimmed, case-insensitive), then
/// the admin mapping. A mapping to an account the directory does not know is
/// `Unmatched`.
pub fn resolve_email(dir: &Directory, email: &str, mapping: &EmailMapping) -> Identity {
    let normalized = normalize_email(email);
    if normalized.is_empty() {
        return Identity::Unmatched;
    }
    // An active account with this visible email wins; else the admin's mapping (a
    // hidden-email account mapped on purpose outranks a deactivated account that
    // still shows the address); else the inactive match, which sees nothing.
    let visible = by_visible_email(dir, &normalized);
    let user = match visible {
        Some(u) if u.active => Some(u),
        _ => match by_mapping(dir, &normalized, mapping) {
            Some(m) if m.active => Some(m),
            mapped => visible.or(mapped),
        },
    };
    match user {
        Some(u) if u.account_id.is_empty() => Identity::Unmatched,
        Some(u) if u.active => Identity::Matched {
            account_id: u.account_id.clone(),
        },
        Some(u) => Identity::Inactive {
            account_id: u.account_id.clone(),
        },
        None => Identity::Unmatched,
    }
}

/// The principal set of a caller known by email: a matched account's set; nothing
/// for an inactive account; `anyone`'s set for an unmatched email.
pub fn principals_for_email(dir: &Directory, email: &str, mapping: &EmailMapping) -> PrincipalSet {
    match resolve_email(dir, email, mapping) {
        Identity::Matched { account_id } => principals_for_account(dir, &account_id),
        Identity::Inactive { .. } => PrincipalSet::default(),
        Identity::Unmatched => anonymous_principals(dir),
    }
}

/// One line of the admin mapping, checked against the directory.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MappedEmail {
    /// The email, normalized.
    pub email: String,
    /// The account it maps to.
    pub account_id: String,
    /// What the line does, given the directory.
    pub status: MappingStatus,
}

/// What a mapping line does.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum MappingStatus {
    /// Maps to an active account.
    Active,
    /// Maps to an account that is deactivated: the caller sees nothing.
    Inactive,
    /// Maps to an account the directory does not hold: the caller is anonymous.
    UnknownAccount,
    /// A visible email already matches (this account); the line is never used.
    ShadowedByVisibleEmail {
        /// The account whose visible email matches.
        account_id: String,
    },
}

/// Identity problems an admin can act on (`jira-index status`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct IdentityReport {
    /// Active human accounts (not `app`) whose email Jira hides and that the mapping
    /// does not cover: they search as anonymous until mapped.
    pub hidden_email: Vec<DirUser>,
    /// Deactivated accounts: they match nothing.
    pub inactive: Vec<DirUser>,
    /// Every mapping line and what it does.
    pub mapped: Vec<MappedEmail>,
    /// Emails shared by several accounts: (normalized email, account ids). The
    /// resolution prefers an active `atlassian` account.
    pub ambiguous_emails: Vec<(String, Vec<String>)>,
}

/// Builds the [`IdentityReport`].
pub fn identity_report(dir: &Directory, mapping: &EmailMapping) -> IdentityReport {
    let mapped_accounts: std::collections::HashSet<&str> =
        mapping.0.values().map(String::as_str).collect();
    let hidden_email = dir
        .users
        .iter()
        .filter(|u| u.active && u.account_type != "app")
        .filter(|u| u.email.as_deref().is_none_or(|e| e.trim().is_empty()))
        .filter(|u| !mapped_accounts.contains(u.account_id.as_str()))
        .cloned()
        .collect();
    let inactive = dir.users.iter().filter(|u| !u.active).cloned().collect();
    let mapped = mapping
        .0
        .iter()
        .map(|(email, acc)| {
            let status = match by_visible_email(dir, email).filter(|u| u.active) {
                Some(u) => MappingStatus::ShadowedByVisibleEmail {
                    account_id: u.account_id.clone(),
                },
                None => match dir.users.iter().find(|u| &u.account_id == acc) {
                    Some(u) if u.active => MappingStatus::Active,
                    Some(_) => MappingStatus::Inactive,
                    None => MappingStatus::UnknownAccount,
                },
            };
            MappedEmail {
                email: email.clone(),
                account_id: acc.clone(),
                status,
            }
        })
        .collect();
    let mut by_email: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for u in &dir.users {
        if let Some(e) = u.email.as_deref() {
            let e = normalize_email(e);
            if !e.is_empty() {
                by_email.entry(e).or_default().push(u.account_id.clone());
            }
        }
    }
    let ambiguous_emails = by_email
        .into_iter()
        .filter(|(_, accs)| accs.len() > 1)
        .collect();
    IdentityReport {
        hidden_email,
        inactive,
        mapped,
        ambiguous_emails,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::{DirProject, Holder, ProjectGrants};

    fn user(acc: &str, email: Option<&str>, active: bool) -> DirUser {
        DirUser {
            account_id: acc.into(),
            email: email.map(str::to_string),
            display_name: acc.into(),
            active,
            account_type: "atlassian".into(),
            product_keys: None,
        }
    }

    fn dir() -> Directory {
        Directory {
            users: vec![
                user("ann", Some("Ann.Lee@Example.com"), true),
                user("hid", None, true),
                user("old", Some("old@example.com"), false),
                DirUser {
                    account_type: "app".into(),
                    ..user("bot", None, true)
                },
            ],
            groups: vec![crate::directory::DirGroup {
                group_id: "g-staff".into(),
                name: "staff".into(),
                members: vec!["ann".into(), "hid".into(), "old".into()],
            }],
            application_roles: vec![crate::directory::AppRole {
                key: "jira-software".into(),
                group_ids: vec!["g-staff".into()],
            }],
            projects: vec![
                DirProject {
                    id: "1".into(),
                    ..Default::default()
                },
                DirProject {
                    id: "2".into(),
                    ..Default::default()
                },
            ],
            browse_grants: vec![
                ProjectGrants {
                    project_id: "1".into(),
                    holders: vec![Holder::Anyone],
                },
                ProjectGrants {
                    project_id: "2".into(),
                    holders: vec![Holder::User {
                        account_id: "hid".into(),
                    }],
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn visible_email_matches_trimmed_and_case_insensitively() {
        let m = EmailMapping::default();
        for email in [
            "ann.lee@example.com",
            "  ANN.LEE@example.COM\t",
            "Ann.Lee@Example.com",
        ] {
            assert_eq!(
                resolve_email(&dir(), email, &m),
                Identity::Matched {
                    account_id: "ann".into()
                },
                "{email:?}"
            );
        }
        assert_eq!(resolve_email(&dir(), "", &m), Identity::Unmatched);
        let mut d = dir();
        d.users
            .push(user("jos", Some("JÖRG.Straße@Example.de"), true));
        assert_eq!(
            resolve_email(&d, " jörg.straße@example.DE", &m),
            Identity::Matched {
                account_id: "jos".into()
            }
        );
        assert_eq!(resolve_email(&dir(), "  ", &m), Identity::Unmatched);
    }

    /// An app account (`accountType: app`, OpenAPI `User` schema) that shows a
    /// person's address never outranks the person, active or not.
    #[test]
    fn an_app_account_never_outranks_a_person_by_email() {
        let m = EmailMapping::default();
        let mut d = dir();
        d.users.push(DirUser {
            account_type: "app".into(),
            ..user("app", Some("ann.lee@example.com"), true)
        });
        d.users.push(DirUser {
            account_type: "app".into(),
            ..user("app2", Some("old@example.com"), true)
        });
        assert_eq!(
            resolve_email(&d, "ann.lee@example.com", &m),
            Identity::Matched {
                account_id: "ann".into()
            }
        );
        assert_eq!(
            resolve_email(&d, "old@example.com", &m),
            Identity::Inactive {
                account_id: "old".into()
            }
        );
    }

    /// A hidden-email account the admin mapped wins over a deactivated account that
    /// still shows the same address.
    #[test]
    fn a_mapped_hidden_email_account_wins_over_an_inactive_visible_one() {
        let mapping = EmailMapping::parse("\"old@example.com\" = \"hid\"\n").unwrap();
        assert_eq!(
            resolve_email(&dir(), "OLD@example.com", &mapping),
            Identity::Matched {
                account_id: "hid".into()
            }
        );
        let report = identity_report(&dir(), &mapping);
        assert_eq!(report.mapped[0].status, MappingStatus::Active);
        // Mapped to an account that is inactive too: still inactive, never anonymous.
        let to_old = EmailMapping::parse("\"old@example.com\" = \"old\"\n").unwrap();
        assert_eq!(
            resolve_email(&dir(), "old@example.com", &to_old),
            Identity::Inactive {
                account_id: "old".into()
            }
        );
    }

    #[test]
    fn hidden_email_is_resolved_through_the_mapping() {
        let mapping = EmailMapping::parse("\"Hidden.Person@example.com\" = \"hid\"\n").unwrap();
        assert_eq!(
            resolve_email(&dir(), "hidden.person@EXAMPLE.com", &mapping),
            Identity::Matched {
                account_id: "hid".into()
            }
        );
        let set = principals_for_email(&dir(), "hidden.person@example.com", &mapping);
        assert!(set.contains("p:2"));
        // Without the mapping the same person is anonymous.
        let anon = principals_for_email(
            &dir(),
            "hidden.person@example.com",
            &EmailMapping::default(),
        );
        assert_eq!(anon.tags(), ["*", "p:1"]);
    }

    #[test]
    fn visible_email_wins_over_the_mapping() {
        let mut mapping = EmailMapping::default();
        mapping.insert("ann.lee@example.com", "hid");
        assert_eq!(
            resolve_email(&dir(), "ann.lee@example.com", &mapping),
            Identity::Matched {
                account_id: "ann".into()
            }
        );
        let report = identity_report(&dir(), &mapping);
        assert_eq!(
            report.mapped[0].status,
            MappingStatus::ShadowedByVisibleEmail {
                account_id: "ann".into()
            }
        );
    }

    #[test]
    fn inactive_user_sees_nothing() {
        let m = EmailMapping::default();
        assert_eq!(
            resolve_email(&dir(), "old@example.com", &m),
            Identity::Inactive {
                account_id: "old".into()
            }
        );
        assert!(principals_for_email(&dir(), "old@example.com", &m).is_empty());
    }

    #[test]
    fn unmatched_email_gets_anonymous_only() {
        let m = EmailMapping::default();
        assert_eq!(
            resolve_email(&dir(), "stranger@example.com", &m),
            Identity::Unmatched
        );
        let set = principals_for_email(&dir(), "stranger@example.com", &m);
        assert_eq!(set, anonymous_principals(&dir()));
        assert_eq!(set.tags(), ["*", "p:1"]);
        // A mapping to an account the directory lacks is still unmatched.
        let mut mapping = EmailMapping::default();
        mapping.insert("stranger@example.com", "ghost");
        assert_eq!(
            resolve_email(&dir(), "stranger@example.com", &mapping),
            Identity::Unmatched
        );
    }

    #[test]
    fn several_accounts_with_one_email_prefer_the_active_atlassian_one() {
        let mut d = dir();
        d.users.push(DirUser {
            account_type: "customer".into(),
            ..user("cust", Some("ann.lee@example.com"), true)
        });
        d.users
            .insert(0, user("ann-old", Some("ann.lee@example.com"), false));
        assert_eq!(
            resolve_email(&d, "ann.lee@example.com", &EmailMapping::default()),
            Identity::Matched {
                account_id: "ann".into()
            }
        );
        let report = identity_report(&d, &EmailMapping::default());
        assert_eq!(report.ambiguous_emails.len(), 1);
        assert_eq!(report.ambiguous_emails[0].1.len(), 3);
    }

    #[test]
    fn mapping_file_formats() {
        let toml = r#"
            # admins' mapping
            "a@x.io" = "acc-a"
            [emails]
            "B@X.io" = "acc-b"
        "#;
        let m = EmailMapping::parse(toml).unwrap();
        assert_eq!(m.get("a@x.io"), Some("acc-a"));
        assert_eq!(m.get(" b@x.IO "), Some("acc-b"));
        assert_eq!(m.len(), 2);

        let json = r#"{"a@x.io": "acc-a", "emails": {"b@x.io": "acc-b"}}"#;
        assert_eq!(EmailMapping::parse(json).unwrap(), m);
        let list = r#"[{"email": "a@x.io", "account_id": "acc-a"}, {"email": "b@x.io", "accountId": "acc-b"}]"#;
        assert_eq!(EmailMapping::parse(list).unwrap(), m);
        assert!(EmailMapping::parse("").unwrap().is_empty());
    }

    #[test]
    fn mapping_file_errors_name_the_entry() {
        let err = EmailMapping::parse("\"a@x.io\" = \"one\"\n\"A@X.IO\" = \"two\"").unwrap_err();
        assert!(matches!(err, AccessError::MappingConflict { ref email, .. } if email == "a@x.io"));
        let err = EmailMapping::parse("\"not-an-email\" = \"acc\"").unwrap_err();
        assert!(err.to_string().contains("not-an-email"), "{err}");
        let err = EmailMapping::parse("\"a@x.io\" = \"\"").unwrap_err();
        assert!(err.to_string().contains("a@x.io"), "{err}");
        let err = EmailMapping::parse("\"a@x.io\" = 5").unwrap_err();
        assert!(err.to_string().contains("a@x.io"), "{err}");
        let err = EmailMapping::parse("= broken").unwrap_err();
        assert!(matches!(
            err,
            AccessError::MappingSyntax { format: "TOML", .. }
        ));
        let err = EmailMapping::parse("{\"a@x.io\": ").unwrap_err();
        assert!(matches!(
            err,
            AccessError::MappingSyntax { format: "JSON", .. }
        ));
    }

    proptest::proptest! {
        /// The mapping file is admin input: any text gives a mapping or an error,
        /// never a panic, and every key of a parsed mapping is normalized.
        #[test]
        fn mapping_parse_never_panics(text in "\\PC{0,200}") {
            if let Ok(m) = EmailMapping::parse(&text) {
                for (email, acc) in m.iter() {
                    proptest::prop_assert_eq!(email, normalize_email(email));
                    proptest::prop_assert!(!acc.is_empty());
                }
            }
        }

        #[test]
        fn mapping_lines_round_trip(
            pairs in proptest::collection::btree_map("[a-z]{1,8}@[a-z]{1,8}\\.io", "[a-z0-9:]{1,12}", 0..8)
        ) {
            let text: String = pairs
                .iter()
                .map(|(e, a)| format!("\"{}\" = \"{a}\"\n", e.to_uppercase()))
                .collect();
            let m = EmailMapping::parse(&text).unwrap();
            proptest::prop_assert_eq!(m.len(), pairs.len());
            for (e, a) in &pairs {
                proptest::prop_assert_eq!(m.get(e), Some(a.as_str()));
            }
        }
    }

    #[test]
    fn identity_report_lists_what_admins_can_fix() {
        let mut mapping = EmailMapping::default();
        mapping.insert("ghost@example.com", "nobody");
        mapping.insert("old-alias@example.com", "old");
        let report = identity_report(&dir(), &mapping);
        let ids = |users: &[DirUser]| {
            users
                .iter()
                .map(|u| u.account_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&report.hidden_email), ["hid"]);
        assert_eq!(ids(&report.inactive), ["old"]);
        assert_eq!(
            report
                .mapped
                .iter()
                .map(|m| (m.email.as_str(), m.status.clone()))
                .collect::<Vec<_>>(),
            [
                ("ghost@example.com", MappingStatus::UnknownAccount),
                ("old-alias@example.com", MappingStatus::Inactive)
            ]
        );
        mapping.insert("hidden@example.com", "hid");
        assert!(identity_report(&dir(), &mapping).hidden_email.is_empty());
    }
}
