//! [`Searcher`]: searching on behalf of a person: the caller's email is resolved to a Jira account
//! through the synced directory (plus the admin's mapping file for hidden emails),
//! expanded into a principal set at query time (cached until the directory changes),
//! and the index returns only chunks whose three ACL gates that set passes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use access::{Directory, EmailMapping, Identity, PrincipalCache, PrincipalSet};
use index::{Embedder, Hit, SearchFilters, SearchIndex, SearchMode, SearchRequest};
use serde::Serialize;

use config::{Config, DataDir, read_json, write_json_atomic};
use state::StateStore;

use crate::error::SearchError;
use crate::views::{IssueView, ProjectView};

/// An open index plus the identity data to filter it with.
///
/// The identity data (directory and mapping file) is re-read by [`Searcher::refresh`]
/// when an identity sync or an admin changed it; the principal cache is dropped then,
/// so a person removed from a group loses that group's projects on their next search.
pub struct Searcher {
    data: DataDir,
    /// The shared state store (`[state] url`): the directory and the unmatched callers
    /// are read from it instead of the data directory, so a search replica needs none.
    shared: Option<StateStore>,
    mapping_file: Option<PathBuf>,
    identity: RwLock<IdentityData>,
    index: Arc<SearchIndex>,
    cache: PrincipalCache,
    unmatched: Mutex<BTreeSet<String>>,
}

/// The directory and mapping in use, with the stamps they were read at.
struct IdentityData {
    directory: Arc<Directory>,
    mapping: Arc<EmailMapping>,
    stamp: Stamps,
}

/// What tells a changed directory or mapping: file stamps, and the shared store's
/// directory version.
#[derive(Clone, Debug, PartialEq)]
struct Stamps {
    files: Vec<Option<FileStamp>>,
    version: Option<i64>,
}

/// Length and modification time of a file: enough to notice a rewrite.
type FileStamp = (u64, SystemTime);

fn stamp(path: &Path) -> Option<FileStamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

/// The answer to one search: who the caller was taken to be, and their hits.
#[derive(Debug, Serialize)]
pub struct SearchOutcome {
    /// How the caller was identified (account and name, or why nobody).
    pub identity: String,
    /// The hits, best first.
    pub hits: Vec<Hit>,
}

impl Searcher {
    /// Opens the data directory of a config. `embedder` enables vector and hybrid search.
    pub fn open(cfg: &Config, embedder: Option<Arc<Embedder>>) -> Result<Self, SearchError> {
        let index = Arc::new(crate::open::open_index(cfg, embedder)?);
        Self::with_index(cfg, index)
    }

    /// Uses an index that is already open (the server shares one between its searches
    /// and its syncs, so a sync's commit is visible to the next search).
    pub fn with_index(cfg: &Config, index: Arc<SearchIndex>) -> Result<Self, SearchError> {
        let data = DataDir::new(&cfg.data.dir);
        let shared = match cfg.state.url {
            Some(_) => Some(StateStore::open_config(cfg)?),
            None => None,
        };
        let mapping_file = cfg.identity.email_mapping_file.clone();
        let identity = load_identity(&data, shared.as_ref(), mapping_file.as_deref())?;
        let unmatched: BTreeSet<String> = match &shared {
            Some(store) => store.unmatched_callers()?.into_iter().collect(),
            None => read_json(&data.unmatched_callers_file())?.unwrap_or_default(),
        };
        Ok(Self {
            data,
            shared,
            mapping_file,
            identity: RwLock::new(identity),
            index,
            cache: PrincipalCache::default(),
            unmatched: Mutex::new(unmatched),
        })
    }

    /// Re-reads the directory and the mapping file if either changed since they were
    /// read (on disk, or in the shared state store), and then forgets every cached
    /// principal set. Returns whether anything was reloaded. Cheap when nothing
    /// changed (two `stat` calls, or one query of the directory's version).
    pub fn refresh(&self) -> Result<bool, SearchError> {
        let now = self.stamps()?;
        if self.read_identity().stamp == now {
            return Ok(false);
        }
        let fresh = load_identity(
            &self.data,
            self.shared.as_ref(),
            self.mapping_file.as_deref(),
        )?;
        *self.identity.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        self.cache.invalidate_all();
        tracing::info!("identity data reloaded; principal cache cleared");
        Ok(true)
    }

    fn stamps(&self) -> Result<Stamps, SearchError> {
        identity_stamps(
            &self.data,
            self.shared.as_ref(),
            self.mapping_file.as_deref(),
        )
    }

    fn read_identity(&self) -> std::sync::RwLockReadGuard<'_, IdentityData> {
        self.identity.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The synced identity directory.
    pub fn directory(&self) -> Arc<Directory> {
        Arc::clone(&self.read_identity().directory)
    }

    /// The admin's mapping for people whose email Jira hides.
    pub fn mapping(&self) -> Arc<EmailMapping> {
        Arc::clone(&self.read_identity().mapping)
    }

    /// How an email is matched to a Jira account.
    pub fn identity(&self, email: &str) -> Identity {
        let id = self.read_identity();
        access::resolve_email(&id.directory, email, &id.mapping)
    }

    /// The principal set of a caller (cached).
    pub fn principals(&self, email: &str) -> Arc<PrincipalSet> {
        let id = self.read_identity();
        self.cache.get_or_compute(&id.directory, email, &id.mapping)
    }

    /// Emails of callers that no Jira account matched, as seen by this data directory's
    /// searches (they searched as anonymous). `jira-index status` lists them.
    pub fn unmatched_callers(&self) -> Vec<String> {
        self.unmatched
            .lock()
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Remembers an unmatched caller (persisted once per new email).
    fn note_unmatched(&self, email: &str) {
        let email = access::normalize_email(email);
        if email.is_empty() {
            return;
        }
        let Ok(mut set) = self.unmatched.lock() else {
            return;
        };
        if set.len() >= MAX_UNMATCHED_CALLERS || !set.insert(email.clone()) {
            return;
        }
        if let Some(store) = &self.shared {
            if let Err(e) = store.note_unmatched_caller(&email) {
                tracing::warn!(error = %e, "could not record an unmatched caller");
            }
            return;
        }
        if let Err(e) = write_json_atomic(&self.data.unmatched_callers_file(), &*set) {
            tracing::warn!(error = %e, "could not record an unmatched caller");
        }
    }

    /// Searches as the person with this email.
    pub fn search_as(
        &self,
        email: &str,
        query: &str,
        limit: usize,
        mode: SearchMode,
        filters: SearchFilters,
    ) -> Result<SearchOutcome, SearchError> {
        let resolved = self.identity(email);
        if resolved == Identity::Unmatched {
            self.note_unmatched(email);
        }
        let identity = describe_identity(&self.directory(), &resolved);
        let principals = self.principals(email).tags();
        let hits = self.index.search(&SearchRequest {
            query,
            principals: &principals,
            limit,
            mode,
            filters,
        })?;
        Ok(SearchOutcome { identity, hits })
    }

    /// The issue as the person with this email may see it: its text, the comments
    /// and attachment texts visible to them. `None` both when the issue does not exist
    /// and when they may not open it (no existence leak).
    pub fn issue_as(&self, email: &str, issue_key: &str) -> Result<Option<IssueView>, SearchError> {
        let resolved = self.identity(email);
        if resolved == Identity::Unmatched {
            self.note_unmatched(email);
        }
        let principals = self.principals(email).tags();
        let docs = self.index.visible_issue_chunks(issue_key, &principals)?;
        Ok(IssueView::from_chunks(docs))
    }

    /// Project keys with at least one issue the person may see, with those counts.
    pub fn projects_as(&self, email: &str) -> Result<Vec<ProjectView>, SearchError> {
        let principals = self.principals(email).tags();
        let dir = self.directory();
        let counts = self.index.visible_issue_counts_by_project(&principals)?;
        Ok(counts
            .into_iter()
            .map(|(key, issues)| ProjectView {
                name: dir
                    .projects
                    .iter()
                    .find(|p| p.key == key)
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                key,
                issues,
            })
            .collect())
    }

    /// The shared index (for writers that must use the same instance).
    pub fn index(&self) -> &Arc<SearchIndex> {
        &self.index
    }
}

/// Unmatched callers remembered at most (a bound against callers sending junk).
const MAX_UNMATCHED_CALLERS: usize = 10_000;

fn identity_stamps(
    data: &DataDir,
    shared: Option<&StateStore>,
    mapping_file: Option<&Path>,
) -> Result<Stamps, SearchError> {
    let mut files = Vec::new();
    let version = match shared {
        Some(store) => Some(store.directory_version()?),
        None => {
            files.push(stamp(&data.directory_file()));
            None
        }
    };
    if let Some(path) = mapping_file {
        files.push(stamp(path));
    }
    Ok(Stamps { files, version })
}

fn load_identity(
    data: &DataDir,
    shared: Option<&StateStore>,
    mapping_file: Option<&Path>,
) -> Result<IdentityData, SearchError> {
    // Stamps first: a rewrite racing with the read is then seen by the next refresh.
    let stamp = identity_stamps(data, shared, mapping_file)?;
    let directory: Option<Directory> = match shared {
        Some(store) => store.load_directory()?,
        None => read_json(&data.directory_file())?,
    };
    let directory = directory.ok_or_else(|| SearchError::NotSynced {
        path: match shared {
            Some(store) => store.location().to_string(),
            None => data.root().display().to_string(),
        },
    })?;
    let mapping = match mapping_file {
        Some(path) => load_mapping(path)?,
        None => EmailMapping::default(),
    };
    Ok(IdentityData {
        directory: Arc::new(directory),
        mapping: Arc::new(mapping),
        stamp,
    })
}

/// A one-line description of how a caller was identified.
pub fn describe_identity(dir: &Directory, identity: &Identity) -> String {
    let name = |acc: &str| {
        dir.users
            .iter()
            .find(|u| u.account_id == acc)
            .map(|u| u.display_name.clone())
            .unwrap_or_else(|| acc.to_string())
    };
    match identity {
        Identity::Matched { account_id } => format!("{} ({account_id})", name(account_id)),
        Identity::Inactive { account_id } => {
            format!(
                "{} ({account_id}), inactive in Jira: sees nothing",
                name(account_id)
            )
        }
        Identity::Unmatched => {
            "no Jira account matches this email: sees only what `anyone` may see".into()
        }
    }
}

/// Reads the admin's mapping file for people whose email Jira hides.
pub fn load_mapping(path: &Path) -> Result<EmailMapping, SearchError> {
    let text = std::fs::read_to_string(path).map_err(config::FileError::io(path))?;
    EmailMapping::parse(&text).map_err(|e| {
        SearchError::Config(config::ConfigError::new(
            "identity.email_mapping_file",
            format!("{}: {e}", path.display()),
        ))
    })
}
