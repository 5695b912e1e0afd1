//! The labeled query set (`tests/data/labeled-queries.toml`) and its scoring:
//! recall@10 and MRR of BM25 alone, vectors alone and hybrid, searching as one person
//! over a synced simulator site. Relevance comes from the generator's record of what
//! each issue's summary is about ([`jira_sim::model::Subject`]), limited to the issues
//! the oracle says that person may open; it never comes from a search.

use std::collections::BTreeSet;

use index::{Fusion, SearchFilters, SearchMode};
use jira_sim::model::{Issue, Workspace};
use serde::Deserialize;

/// Results per query that count.
pub const CUTOFF: usize = 10;

/// One labeled query: its text and the subject that makes an issue relevant.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabeledQuery {
    pub text: String,
    pub topic: String,
    pub component: Option<String>,
    pub symptom: Option<String>,
    pub feature: Option<String>,
}

impl LabeledQuery {
    /// Whether the issue's summary is about this query's subject.
    pub fn is_relevant(&self, issue: &Issue) -> bool {
        let Some(s) = &issue.subject else {
            return false;
        };
        let same = |want: &Option<String>, have: &Option<String>| {
            want.is_none() || want.as_deref() == have.as_deref()
        };
        s.topic == self.topic
            && same(&self.component, &s.component)
            && same(&self.symptom, &s.symptom)
            && same(&self.feature, &s.feature)
    }
}

#[derive(Deserialize)]
struct QueryFile {
    query: Vec<LabeledQuery>,
}

/// The labeled queries.
pub fn labeled_queries() -> Vec<LabeledQuery> {
    let text = include_str!("../tests/data/labeled-queries.toml");
    toml::from_str::<QueryFile>(text)
        .expect("tests/data/labeled-queries.toml parses")
        .query
}

/// Scores of one search mode over the query set.
#[derive(Clone, Debug)]
pub struct ModeScores {
    pub mode: SearchMode,
    /// Mean over queries of |relevant ∩ top 10| / min(10, |relevant|).
    pub recall_at_10: f64,
    /// Mean reciprocal rank of the first relevant issue in the top 10 (0 when none).
    pub mrr: f64,
    /// Per query: (text, reciprocal rank, recall@10).
    pub per_query: Vec<(String, f64, f64)>,
}

/// The relevant issue keys of each query among `visible` (the oracle's set for the
/// searcher), in query order.
pub fn relevant_sets(
    ws: &Workspace,
    queries: &[LabeledQuery],
    visible: &BTreeSet<String>,
) -> Vec<BTreeSet<String>> {
    queries
        .iter()
        .map(|q| {
            ws.issues
                .iter()
                .filter(|i| visible.contains(&i.key) && q.is_relevant(i))
                .map(|i| i.key.clone())
                .collect()
        })
        .collect()
}

/// Runs every query in every mode as `email` (one hit per issue, top 10) and scores
/// the rankings against `relevant` (from [`relevant_sets`]).
pub fn evaluate(
    searcher: &search::Searcher,
    email: &str,
    queries: &[LabeledQuery],
    relevant: &[BTreeSet<String>],
) -> anyhow::Result<Vec<ModeScores>> {
    let modes = [SearchMode::Keyword, SearchMode::Vector, SearchMode::Hybrid];
    evaluate_modes(searcher, email, queries, relevant, &modes)
}

/// [`evaluate`] for the given modes only.
pub fn evaluate_modes(
    searcher: &search::Searcher,
    email: &str,
    queries: &[LabeledQuery],
    relevant: &[BTreeSet<String>],
    modes: &[SearchMode],
) -> anyhow::Result<Vec<ModeScores>> {
    let mut out = Vec::new();
    for &mode in modes {
        let mut per_query = Vec::new();
        for (q, rel) in queries.iter().zip(relevant) {
            let filters = SearchFilters {
                collapse_by_issue: true,
                ..SearchFilters::default()
            };
            let hits = searcher
                .search_as(email, &q.text, CUTOFF, mode, filters)?
                .hits;
            let ranked: Vec<&str> = hits.iter().map(|h| h.issue_key.as_str()).collect();
            let (rr, recall) = score(&ranked, rel);
            per_query.push((q.text.clone(), rr, recall));
        }
        let n = per_query.len().max(1) as f64;
        out.push(ModeScores {
            mode,
            recall_at_10: per_query.iter().map(|p| p.2).sum::<f64>() / n,
            mrr: per_query.iter().map(|p| p.1).sum::<f64>() / n,
            per_query,
        });
    }
    Ok(out)
}

/// (reciprocal rank, recall@10) of one ranking of issue keys.
pub fn score(ranked: &[&str], relevant: &BTreeSet<String>) -> (f64, f64) {
    if relevant.is_empty() {
        return (0.0, 0.0);
    }
    let top = &ranked[..ranked.len().min(CUTOFF)];
    let rr = top
        .iter()
        .position(|k| relevant.contains(*k))
        .map_or(0.0, |p| 1.0 / (p + 1) as f64);
    let found = top.iter().filter(|k| relevant.contains(**k)).count();
    (rr, found as f64 / relevant.len().min(CUTOFF) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_by_hand() {
        let rel: BTreeSet<String> = ["A-2", "A-5"].iter().map(|s| s.to_string()).collect();
        let (rr, recall) = score(&["A-1", "A-2", "A-3"], &rel);
        assert_eq!(rr, 0.5);
        assert_eq!(recall, 0.5);
        assert_eq!(score(&["A-9"], &rel), (0.0, 0.0));
    }

    #[test]
    fn query_file_is_well_formed() {
        let queries = labeled_queries();
        assert!(queries.len() >= 40, "{}", queries.len());
        for q in &queries {
            assert!(
                q.component.is_some() || q.symptom.is_some() || q.feature.is_some(),
                "{:?} names no subject",
                q.text
            );
        }
    }
}

/// What one evaluation measured.
#[derive(Debug)]
pub struct QualityReport {
    pub queries: usize,
    /// Mean number of relevant (visible) issues per query.
    pub mean_relevant: f64,
    /// Fewest relevant issues of any query.
    pub min_relevant: usize,
    pub indexed_chunks: usize,
    pub scores: Vec<ModeScores>,
    /// Hybrid scores under other fusions, when asked for.
    pub sweep: Vec<(Fusion, ModeScores)>,
}

impl QualityReport {
    /// The scores of one mode.
    pub fn mode(&self, mode: SearchMode) -> &ModeScores {
        self.scores
            .iter()
            .find(|s| s.mode == mode)
            .expect("every mode is evaluated")
    }

    /// A table of the three modes, one per line.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{} queries, {:.1} relevant issues per query (min {}), {} chunks\n{:<8} {:>10} {:>7}\n",
            self.queries,
            self.mean_relevant,
            self.min_relevant,
            self.indexed_chunks,
            "mode",
            "recall@10",
            "MRR"
        );
        for s in &self.scores {
            out.push_str(&format!(
                "{:<8} {:>10.3} {:>7.3}\n",
                format!("{:?}", s.mode).to_lowercase(),
                s.recall_at_10,
                s.mrr
            ));
        }
        for (f, s) in &self.sweep {
            out.push_str(&format!(
                "hybrid   {:>10.3} {:>7.3}   {f:?}\n",
                s.recall_at_10, s.mrr
            ));
        }
        out
    }
}

/// Syncs the site with the embedder and scores the labeled set, searching as the
/// person who may open the most issues (relevance limited to what the oracle lets
/// them open).
/// `fusions`: hybrid is also scored under each of these (the report's `sweep`).
pub async fn evaluate_site(
    site: &crate::SimSite,
    embedder: std::sync::Arc<index::Embedder>,
    fusions: &[Fusion],
) -> anyhow::Result<QualityReport> {
    evaluate_config(site, &site.config, embedder, fusions).await
}

/// [`evaluate_site`] under another config of the same site (another index backend,
/// another state store).
pub async fn evaluate_config(
    site: &crate::SimSite,
    cfg: &config::Config,
    embedder: std::sync::Arc<index::Embedder>,
    fusions: &[Fusion],
) -> anyhow::Result<QualityReport> {
    let report = sync::run_sync(cfg, Some(embedder.clone()), &Default::default()).await?;
    let ws = site
        .handle
        .workspace()
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    // The person who may open the most issues: the widest corpus to rank.
    let (email, visible) = ws
        .users
        .iter()
        .filter(|u| u.account_type == "atlassian" && u.active && u.email_visible)
        .map(|u| (u.email.clone(), ws.visible_issue_keys(&u.account_id)))
        .max_by_key(|(_, v)| v.len())
        .ok_or_else(|| anyhow::anyhow!("the site has no user to search as"))?;
    let queries = labeled_queries();
    let relevant = relevant_sets(&ws, &queries, &visible);
    let searcher = search::Searcher::open(cfg, Some(embedder))?;
    let fusions = fusions.to_vec();
    let (scores, sweep, relevant) = tokio::task::spawn_blocking(move || {
        let mut sweep = Vec::new();
        let default = searcher.index().fusion();
        for f in fusions {
            searcher.index().set_fusion(f);
            let hybrid = evaluate_modes(
                &searcher,
                &email,
                &queries,
                &relevant,
                &[SearchMode::Hybrid],
            )?;
            sweep.push((f, hybrid.into_iter().next().expect("one mode")));
        }
        searcher.index().set_fusion(default);
        let all = evaluate(&searcher, &email, &queries, &relevant)?;
        anyhow::Ok((all, sweep, relevant))
    })
    .await??;
    let sizes: Vec<usize> = relevant.iter().map(BTreeSet::len).collect();
    Ok(QualityReport {
        queries: sizes.len(),
        mean_relevant: sizes.iter().sum::<usize>() as f64 / sizes.len().max(1) as f64,
        min_relevant: sizes.iter().copied().min().unwrap_or(0),
        indexed_chunks: report.run.chunks_written,
        scores,
        sweep,
    })
}
