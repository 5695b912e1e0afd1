//! Searching on behalf of a person: the caller's email is resolved to a Jira account
//! through the synced directory (plus the admin's mapping file for hidden emails),
//! expanded into a principal set at query time (cached until the directory changes),
//! and the index returns only chunks whose three ACL gates that set passes.

use std::path::Path;
use std::sync::Arc;

use access::{Directory, EmailMapping, Identity, PrincipalCache, PrincipalSet};
use index::{Embedder, Hit, SearchFilters, SearchIndex, SearchMode, SearchRequest};
use serde::Serialize;

use crate::SyncError;
use crate::config::Config;
use crate::state::{DataDir, read_json};

/// An open index plus the identity data to filter it with.
pub struct Searcher {
    directory: Directory,
    mapping: EmailMapping,
    index: SearchIndex,
    cache: PrincipalCache,
}

/// The answer to one search: who the caller was taken to be, and their hits.
#[derive(Debug, Serialize)]
pub struct SearchOutcome {
    pub identity: String,
    pub hits: Vec<Hit>,
}

impl Searcher {
    /// Opens the data directory of a config. `embedder` enables vector and hybrid search.
    pub fn open(cfg: &Config, embedder: Option<Arc<Embedder>>) -> Result<Self, SyncError> {
        let data = DataDir::new(&cfg.data.dir);
        let directory: Directory =
            read_json(&data.directory_file())?.ok_or_else(|| SyncError::NotSynced {
                path: data.root().display().to_string(),
            })?;
        let mapping = match &cfg.identity.email_mapping_file {
            Some(path) => load_mapping(path)?,
            None => EmailMapping::default(),
        };
        let index = SearchIndex::open(&data.index_dir(), embedder)?;
        Ok(Self {
            directory,
            mapping,
            index,
            cache: PrincipalCache::default(),
        })
    }

    /// The synced identity directory.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// How an email is matched to a Jira account.
    pub fn identity(&self, email: &str) -> Identity {
        access::resolve_email(&self.directory, email, &self.mapping)
    }

    /// The principal set of a caller (cached).
    pub fn principals(&self, email: &str) -> Arc<PrincipalSet> {
        self.cache
            .get_or_compute(&self.directory, email, &self.mapping)
    }

    /// Searches as the person with this email.
    pub fn search_as(
        &self,
        email: &str,
        query: &str,
        limit: usize,
        mode: SearchMode,
        filters: SearchFilters,
    ) -> Result<SearchOutcome, SyncError> {
        let identity = describe_identity(&self.directory, &self.identity(email));
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

fn load_mapping(path: &Path) -> Result<EmailMapping, SyncError> {
    let text = std::fs::read_to_string(path).map_err(|source| SyncError::Io {
        path: path.display().to_string(),
        source,
    })?;
    EmailMapping::parse(&text).map_err(|e| SyncError::Config {
        detail: format!("identity.email_mapping_file {}: {e}", path.display()),
    })
}
