//! A per-caller cache of principal sets, keyed by normalized email, plus the
//! [`DirectoryIndex`] that makes computing a missing set cheap on large sites. Both
//! depend only on the directory and the mapping: whoever replaces or edits either must
//! call [`PrincipalCache::invalidate_all`].

use std::sync::{Arc, RwLock};

use dashmap::DashMap;

use crate::directory::Directory;
use crate::identity::{EmailMapping, Identity, normalize_email, resolve_email};
use crate::index::DirectoryIndex;
use crate::principal_set::PrincipalSet;
use crate::principals::anonymous_principals;

/// Principal sets of recent callers, shared across threads.
#[derive(Debug, Default)]
pub struct PrincipalCache {
    sets: DashMap<String, Arc<PrincipalSet>>,
    index: RwLock<Option<Arc<DirectoryIndex>>>,
    anonymous: RwLock<Option<Arc<PrincipalSet>>>,
}

impl PrincipalCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The caller's principal set ([`crate::principals_for_email`]), computed on first
    /// use. The computation runs outside the map's locks; two racing callers may both
    /// compute, and the first stored set wins.
    pub fn get_or_compute(
        &self,
        dir: &Directory,
        email: &str,
        mapping: &EmailMapping,
    ) -> Arc<PrincipalSet> {
        let key = normalize_email(email);
        if let Some(hit) = self.sets.get(&key) {
            return Arc::clone(hit.value());
        }
        let set = match resolve_email(dir, email, mapping) {
            Identity::Matched { account_id } => {
                self.index(dir).principals_for_account(dir, &account_id)
            }
            Identity::Inactive { .. } => PrincipalSet::default(),
            // Not stored per email: callers may send any email, and the map must stay
            // bounded by the directory's accounts. All of them share one set.
            Identity::Unmatched => return self.anonymous(dir),
        };
        Arc::clone(self.sets.entry(key).or_insert(Arc::new(set)).value())
    }

    /// The shared set of every unmatched caller.
    fn anonymous(&self, dir: &Directory) -> Arc<PrincipalSet> {
        if let Ok(guard) = self.anonymous.read()
            && let Some(set) = guard.as_ref()
        {
            return Arc::clone(set);
        }
        let set = Arc::new(anonymous_principals(dir));
        if let Ok(mut guard) = self.anonymous.write() {
            *guard = Some(Arc::clone(&set));
        }
        set
    }

    /// The directory index, rebuilt when it is missing or not current for `dir`.
    fn index(&self, dir: &Directory) -> Arc<DirectoryIndex> {
        if let Ok(guard) = self.index.read()
            && let Some(index) = guard.as_ref()
            && index.is_current(dir)
        {
            return Arc::clone(index);
        }
        let index = Arc::new(DirectoryIndex::new(dir));
        if let Ok(mut guard) = self.index.write() {
            *guard = Some(Arc::clone(&index));
        }
        index
    }

    /// Forgets every cached set and the directory index: call after a new directory
    /// or mapping is loaded, or the directory was edited.
    pub fn invalidate_all(&self) {
        self.sets.clear();
        if let Ok(mut guard) = self.index.write() {
            *guard = None;
        }
        if let Ok(mut guard) = self.anonymous.write() {
            *guard = None;
        }
    }

    /// Forgets one caller's set.
    pub fn invalidate(&self, email: &str) {
        self.sets.remove(&normalize_email(email));
    }

    /// Number of cached callers (unmatched emails are not counted: they share one set).
    pub fn len(&self) -> usize {
        self.sets.len()
    }

    /// Whether no caller's set is cached.
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::{DirGroup, DirUser};
    use crate::identity::principals_for_email;

    fn dir() -> Directory {
        Directory {
            users: vec![
                DirUser {
                    account_id: "a".into(),
                    email: Some("a@x.io".into()),
                    active: true,
                    ..Default::default()
                },
                DirUser {
                    account_id: "b".into(),
                    email: Some("b@x.io".into()),
                    active: true,
                    ..Default::default()
                },
            ],
            // Members of `g` (a group added by the test) hold product access.
            application_roles: vec![crate::directory::AppRole {
                key: "jira-software".into(),
                group_ids: vec!["g".into()],
            }],
            ..Default::default()
        }
    }

    #[test]
    fn caches_by_normalized_email_until_invalidated() {
        let mut dir = dir();
        let mapping = EmailMapping::default();
        let cache = PrincipalCache::new();
        let first = cache.get_or_compute(&dir, "A@x.io ", &mapping);
        assert_eq!(first.tags(), ["*"]);
        dir.groups.push(DirGroup {
            group_id: "g".into(),
            name: "g".into(),
            members: vec!["a".into(), "b".into()],
        });
        let again = cache.get_or_compute(&dir, "a@x.io", &mapping);
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(cache.len(), 1);
        // A new caller after an edit: the stale index is noticed and rebuilt.
        assert_eq!(
            cache.get_or_compute(&dir, "b@x.io", &mapping).tags(),
            ["*", "g:g", "lic"]
        );
        cache.invalidate_all();
        assert!(cache.is_empty());
        assert_eq!(
            cache.get_or_compute(&dir, "a@x.io", &mapping).tags(),
            ["*", "g:g", "lic"]
        );
    }

    #[test]
    fn unmatched_callers_share_one_set_and_do_not_grow_the_cache() {
        let dir = dir();
        let mapping = EmailMapping::default();
        let cache = PrincipalCache::new();
        let first = cache.get_or_compute(&dir, "x1@evil.io", &mapping);
        for i in 0..100 {
            let other = cache.get_or_compute(&dir, &format!("x{i}@evil.io"), &mapping);
            assert!(Arc::ptr_eq(&first, &other));
        }
        assert!(cache.is_empty());
        assert_eq!(first.tags(), ["*"]);
    }

    #[test]
    fn cached_sets_equal_direct_computation() {
        let dir = dir();
        let mapping = EmailMapping::default();
        let cache = PrincipalCache::new();
        for email in ["a@x.io", "b@x.io", "nobody@x.io", ""] {
            assert_eq!(
                *cache.get_or_compute(&dir, email, &mapping),
                principals_for_email(&dir, email, &mapping),
                "{email:?}"
            );
        }
    }
}
