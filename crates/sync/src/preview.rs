//! What a change of filters would do, before it is saved: per project, how many
//! issues the new filters select (`search/approximate-count`), and against what the
//! index holds now (the state store) the issues the next sync would fetch and index,
//! the issues and chunks it would delete, and an estimate of its API calls and time.
//!
//! The prediction follows the sync's own rules: a project is in scope when it is not
//! archived and the project filters allow it; an issue is selected when Jira returns
//! it for the scope's JQL with the date clauses (one id-only walk, 5,000 per page);
//! the sync indexes the selected issues the state does not hold (or holds under
//! another project) and deletes the held issues that are not selected. Issues changed
//! in Jira since the last sync are re-indexed too; they are counted apart.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::error::SyncError;
use config::Config;
use state::StateStore;

/// One project under the candidate filters.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct ProjectPreview {
    /// The project key.
    pub key: String,
    /// The project name.
    pub name: String,
    /// Allowed by the candidate's project filters (and not archived).
    pub in_scope: bool,
    /// Issues the candidate filters select (Jira's approximate count; 0 out of scope).
    pub selected: u64,
    /// Issues of the project in the index now.
    pub indexed_now: usize,
    /// Issues the next sync would fetch and index.
    pub to_fetch: usize,
    /// Issues the next sync would delete from the index.
    pub to_delete: usize,
    /// Their chunks.
    pub chunks_to_delete: usize,
}

/// The whole preview.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FilterPreview {
    /// Per project in either scope.
    pub projects: Vec<ProjectPreview>,
    /// Issues the new filters select (Jira's approximate count).
    pub issues_selected: usize,
    /// Issues indexed now.
    pub issues_indexed_now: usize,
    /// Issues the next sync would fetch.
    pub issues_to_fetch: usize,
    /// Issues the next sync would delete.
    pub issues_to_delete: usize,
    /// Chunks those deletions remove.
    pub chunks_to_delete: usize,
    /// Selected issues changed in Jira since the last sync (re-indexed as well).
    pub issues_changed_since_last_sync: u64,
    /// The indexing or chunking settings differ from the current ones: every selected
    /// issue is documented again (unchanged chunks keep their ids).
    pub reindex_all: bool,
    /// The embedding model changes: every chunk is embedded again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_change: Option<ModelChange>,
    /// Estimated requests of the next sync (attachment downloads excluded).
    pub estimated_api_calls: u64,
    /// Estimated duration of the next sync.
    pub estimated_seconds: f64,
    /// Requests this preview made.
    pub preview_api_calls: u64,
}

/// What changing `[embedding] model` costs.
#[derive(Clone, Debug, Serialize)]
pub struct ModelChange {
    /// The model in use.
    pub from: String,
    /// The model the new settings name.
    pub to: String,
    /// Chunks indexed now, all of which are embedded again.
    pub chunks_to_embed: usize,
    /// Their embedding time on the new model, from its reference rate on a 2-core
    /// CPU (`docs/embedding-models.md`).
    pub estimated_embed_seconds: f64,
}

/// Chunks per second a keyword-only run writes when the history has no better figure.
const DEFAULT_CHUNKS_PER_SEC_KEYWORD: f64 = 2_000.0;
/// Requests of the identity stage when only light reads are due (users, groups,
/// projects, application roles, audit log).
const IDENTITY_LIGHT_CALLS: u64 = 8;

/// Previews `candidate`'s filters against the index `current` describes (both
/// configs name the same site and data directory).
pub async fn preview_filters(
    current: &Config,
    candidate: &Config,
) -> Result<FilterPreview, SyncError> {
    let store = StateStore::open_config(current)?;
    let state = store.load()?;
    let client = crate::pipeline::jira_client(candidate)?;
    let calls_before = client.request_count();
    let directory = match store.load_directory()? {
        Some(d) => d,
        None => crate::directory::fetch_directory(&client).await?,
    };
    let dates = candidate.filters.date_clauses();
    let in_scope: Vec<(String, String)> = directory
        .projects
        .iter()
        .filter(|p| !p.archived && candidate.filters.allows_project(&p.key))
        .map(|p| (p.key.clone(), p.name.clone()))
        .collect();

    let mut projects: BTreeMap<String, ProjectPreview> = directory
        .projects
        .iter()
        .map(|p| {
            (
                p.key.clone(),
                ProjectPreview {
                    key: p.key.clone(),
                    name: p.name.clone(),
                    ..Default::default()
                },
            )
        })
        .collect();
    for (key, _) in &in_scope {
        let count = client
            .approximate_count(&format!("project = \"{key}\"{dates}"))
            .await
            .map_err(|e| SyncError::jira(format!("counting the issues of {key}"), e))?;
        let p = projects.entry(key.clone()).or_default();
        p.in_scope = true;
        p.selected = count;
    }

    // The selected issues, exactly (id and key).
    let selected: Vec<(String, String)> = if in_scope.is_empty() {
        Vec::new()
    } else {
        let keys: Vec<String> = in_scope.iter().map(|(k, _)| format!("\"{k}\"")).collect();
        client
            .search_jql_id_keys(&format!("project in ({}){dates}", keys.join(", ")))
            .await
            .map_err(|e| SyncError::jira("listing the selected issues", e))?
    };
    let selected_ids: HashSet<&str> = selected.iter().map(|(id, _)| id.as_str()).collect();
    let held: HashMap<&str, &str> = state
        .issues
        .iter()
        .map(|(id, s)| (id.as_str(), s.project_key.as_str()))
        .collect();
    let reindex_all = serde_json::to_value(&current.indexing).ok()
        != serde_json::to_value(&candidate.indexing).ok()
        || serde_json::to_value(&current.chunking).ok()
            != serde_json::to_value(&candidate.chunking).ok()
        || current.embedding.enabled != candidate.embedding.enabled
        || (candidate.embedding.enabled && current.embedding.model != candidate.embedding.model);
    let indexed_chunks: usize = state.issues.values().map(|s| s.chunk_ids.len()).sum();
    let model_change = (candidate.embedding.enabled
        && current.embedding.enabled
        && current.embedding.model != candidate.embedding.model)
        .then(|| ModelChange {
            from: current.embedding.model.to_string(),
            to: candidate.embedding.model.to_string(),
            chunks_to_embed: indexed_chunks,
            estimated_embed_seconds: indexed_chunks as f64
                / candidate.embedding.model.reference_chunks_per_sec(),
        });

    let mut out = FilterPreview {
        reindex_all,
        model_change,
        issues_selected: selected.len(),
        issues_indexed_now: state.issues.len(),
        ..Default::default()
    };
    for s in state.issues.values() {
        projects
            .entry(s.project_key.clone())
            .or_default()
            .indexed_now += 1;
    }
    for (id, key) in &selected {
        let project = key.rsplit_once('-').map_or(key.as_str(), |(p, _)| p);
        let new = held.get(id.as_str()) != Some(&project);
        if new || reindex_all {
            out.issues_to_fetch += 1;
            projects.entry(project.to_string()).or_default().to_fetch += 1;
        }
    }
    for (id, s) in &state.issues {
        if !selected_ids.contains(id.as_str()) {
            out.issues_to_delete += 1;
            out.chunks_to_delete += s.chunk_ids.len();
            let p = projects.entry(s.project_key.clone()).or_default();
            p.to_delete += 1;
            p.chunks_to_delete += s.chunk_ids.len();
        }
    }

    // Changes since each project's checkpoint, in one count.
    let changed: Vec<String> = in_scope
        .iter()
        .filter_map(|(key, _)| {
            state
                .checkpoint
                .projects
                .get(key)
                .map(|ms| format!("(project = \"{key}\" AND updated > {ms})"))
        })
        .collect();
    if !changed.is_empty() {
        out.issues_changed_since_last_sync = client
            .approximate_count(&format!("({}){dates}", changed.join(" OR ")))
            .await
            .map_err(|e| SyncError::jira("counting the changed issues", e))?;
    }

    // Estimate: identity (light), one change query, the id walk, the fetched issues
    // 100 per request (full reads or bulk fetches), a comment page for a tenth of them.
    let fetch = (out.issues_to_fetch as u64) + out.issues_changed_since_last_sync;
    let new_projects = in_scope
        .iter()
        .filter(|(k, _)| !state.checkpoint.projects.contains_key(k))
        .count() as u64;
    out.estimated_api_calls = IDENTITY_LIGHT_CALLS
        + 1
        + (out.issues_selected as u64).div_ceil(5_000)
        + new_projects
        + fetch.div_ceil(100)
        + fetch / 10;
    let per_request = 1.0 / candidate.jira.max_requests_per_sec.max(1.0);
    let chunks_per_issue = if state.issues.is_empty() {
        4.0
    } else {
        state
            .issues
            .values()
            .map(|s| s.chunk_ids.len())
            .sum::<usize>() as f64
            / state.issues.len() as f64
    };
    let rate = store
        .runs(20)?
        .iter()
        .filter(|r| r.chunks_written >= 100 && r.finished_ms > r.started_ms)
        .map(|r| r.chunks_written as f64 * 1000.0 / (r.finished_ms - r.started_ms) as f64)
        .next()
        .unwrap_or(if candidate.embedding.enabled {
            candidate.embedding.model.reference_chunks_per_sec()
        } else {
            DEFAULT_CHUNKS_PER_SEC_KEYWORD
        });
    // Past runs' rates are the old model's.
    let rate = if out.model_change.is_some() {
        candidate.embedding.model.reference_chunks_per_sec()
    } else {
        rate
    };
    out.estimated_seconds = out.estimated_api_calls as f64 * per_request
        + fetch as f64 * chunks_per_issue / rate.max(1.0);
    out.projects = projects
        .into_values()
        .filter(|p| p.in_scope || p.indexed_now > 0)
        .collect();
    out.preview_api_calls = client.request_count() - calls_before;
    Ok(out)
}

impl FilterPreview {
    /// A table for people: one line per project, then the totals.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut out = format!(
            "{:<12} {:<28} {:>8} {:>9} {:>8} {:>8} {:>9}\n",
            "project", "name", "selected", "indexed", "+fetch", "-delete", "-chunks"
        );
        for p in &self.projects {
            let selected = if p.in_scope {
                p.selected.to_string()
            } else {
                "out".into()
            };
            let _ = writeln!(
                out,
                "{:<12} {:<28} {:>8} {:>9} {:>8} {:>8} {:>9}",
                p.key,
                p.name.chars().take(28).collect::<String>(),
                selected,
                p.indexed_now,
                p.to_fetch,
                p.to_delete,
                p.chunks_to_delete
            );
        }
        let _ = writeln!(
            out,
            "\n{} issues selected, {} indexed now: the next sync fetches {}, deletes {} ({} chunks){}",
            self.issues_selected,
            self.issues_indexed_now,
            self.issues_to_fetch,
            self.issues_to_delete,
            self.chunks_to_delete,
            if self.reindex_all {
                "; indexing settings changed: every selected issue is documented again"
            } else {
                ""
            }
        );
        if let Some(m) = &self.model_change {
            let _ = writeln!(
                out,
                "the embedding model changes from {} to {}: {} chunks are embedded again (about {:.0} s on a 2-core CPU)",
                m.from, m.to, m.chunks_to_embed, m.estimated_embed_seconds
            );
        }
        if self.issues_changed_since_last_sync > 0 {
            let _ = writeln!(
                out,
                "{} selected issues changed in Jira since the last sync and are re-indexed too",
                self.issues_changed_since_last_sync
            );
        }
        let _ = writeln!(
            out,
            "estimated: {} API calls (attachments excluded), {:.0} s",
            self.estimated_api_calls, self.estimated_seconds
        );
        out
    }
}
