//! Runs a parsed query on a workspace: which issues match (archived projects never
//! do) and in which order.

use std::cmp::Ordering;

use super::ast::{Clause, Cmp, Jql, SortField, TimeField};
use super::error::JqlError;
use crate::model::{Issue, Workspace};

pub(super) fn split_key(k: &str) -> (&str, u64) {
    match k.rsplit_once('-') {
        Some((p, n)) => (p, n.parse().unwrap_or(0)),
        None => (k, 0),
    }
}

/// A matching issue with its key split once (project part, number).
struct Keyed<'w> {
    issue: &'w Issue,
    /// (rank of the key's project part, number).
    key: (u32, u64),
}

pub(super) fn id_cmp(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Jql {
    /// Matching issues in result order (archived projects excluded).
    pub fn run<'w>(&self, ws: &'w Workspace) -> Result<Vec<&'w Issue>, JqlError> {
        let mut out = self.keyed(ws)?;
        out.sort_by(|a, b| self.compare(a, b));
        Ok(out.into_iter().map(|k| k.issue).collect())
    }

    /// The result order as positions in `ws.issues`.
    pub fn run_positions(&self, ws: &Workspace) -> Result<Vec<usize>, JqlError> {
        let base = ws.issues.as_ptr() as usize;
        let size = std::mem::size_of::<Issue>().max(1);
        Ok(self
            .run(ws)?
            .into_iter()
            .map(|i| (i as *const Issue as usize - base) / size)
            .collect())
    }

    /// One page of the result: the issues at `offset..offset + max` in result order,
    /// and the total count. Linear in the number of matches (selection, not a full
    /// sort), so paging through a large site stays fast.
    pub fn run_page<'w>(
        &self,
        ws: &'w Workspace,
        offset: usize,
        max: usize,
    ) -> Result<(Vec<&'w Issue>, usize), JqlError> {
        let mut out = self.keyed(ws)?;
        let total = out.len();
        if offset >= total || max == 0 {
            return Ok((Vec::new(), total));
        }
        if offset > 0 {
            // Everything before `offset` now sorts before everything after it.
            out.select_nth_unstable_by(offset, |a, b| self.compare(a, b));
        }
        let tail = &mut out[offset..];
        let take = max.min(tail.len());
        if take < tail.len() {
            tail.select_nth_unstable_by(take, |a, b| self.compare(a, b));
        }
        let page = &mut tail[..take];
        page.sort_by(|a, b| self.compare(a, b));
        Ok((page.iter().map(|k| k.issue).collect(), total))
    }

    /// Matching issues with their sort keys precomputed.
    fn keyed<'w>(&self, ws: &'w Workspace) -> Result<Vec<Keyed<'w>>, JqlError> {
        let matched = self.matching(ws)?;
        let split: Vec<(&str, u64)> = matched.iter().map(|i| split_key(&i.key)).collect();
        // Key prefixes ranked once, so that ordering by key compares integers.
        let distinct: rustc_hash::FxHashSet<&str> = split.iter().map(|(p, _)| *p).collect();
        let mut prefixes: Vec<&str> = distinct.into_iter().collect();
        prefixes.sort_unstable();
        let rank: rustc_hash::FxHashMap<&str, u32> = prefixes
            .into_iter()
            .enumerate()
            .map(|(r, p)| (p, r as u32))
            .collect();
        Ok(matched
            .into_iter()
            .zip(split)
            .map(|(issue, (prefix, n))| Keyed {
                key: (rank.get(prefix).copied().unwrap_or(0), n),
                issue,
            })
            .collect())
    }

    /// The result order: ORDER BY fields, then id (a total order).
    fn compare(&self, a: &Keyed<'_>, b: &Keyed<'_>) -> Ordering {
        const DEFAULT: [(SortField, bool); 2] =
            [(SortField::Created, false), (SortField::Id, false)];
        let order: &[(SortField, bool)] = if self.order.is_empty() {
            &DEFAULT
        } else {
            &self.order
        };
        for (f, asc) in order {
            let o = match f {
                SortField::Created => a.issue.created.cmp(&b.issue.created),
                SortField::Updated => a.issue.updated.cmp(&b.issue.updated),
                SortField::Key => a.key.cmp(&b.key),
                SortField::Id => id_cmp(&a.issue.id, &b.issue.id),
            };
            let o = if *asc { o } else { o.reverse() };
            if o != Ordering::Equal {
                return o;
            }
        }
        id_cmp(&a.issue.id, &b.issue.id)
    }

    /// Matching issues, unordered.
    fn matching<'w>(&self, ws: &'w Workspace) -> Result<Vec<&'w Issue>, JqlError> {
        // Project values resolve to ids up front.
        let cond = resolve_projects(&self.clauses, ws)?;
        let live: rustc_hash::FxHashSet<&str> = ws
            .projects
            .iter()
            .filter(|p| !p.archived)
            .map(|p| p.id.as_str())
            .collect();
        let out: Vec<&Issue> = ws
            .issues
            .iter()
            .filter(|i| live.contains(i.project_id.as_str()))
            .filter(|i| holds(&cond, i))
            .collect();
        Ok(out)
    }
}

/// `cond` with every project value (key or id) replaced by the project's id.
fn resolve_projects(cond: &Clause, ws: &Workspace) -> Result<Clause, JqlError> {
    Ok(match cond {
        Clause::Project { negate, values } => {
            let mut ids = Vec::new();
            for v in values {
                match ws.project_by_id_or_key(v) {
                    Some(p) => ids.push(p.id.clone()),
                    None => {
                        return Err(JqlError::UnknownValue {
                            field: "project".into(),
                            value: v.clone(),
                        });
                    }
                }
            }
            Clause::Project {
                negate: *negate,
                values: ids,
            }
        }
        // Parent keys resolve to ids; an issue that does not exist matches nothing.
        Clause::Parent { values } => Clause::Parent {
            values: values
                .iter()
                .map(|v| {
                    ws.issue_by_id_or_key(v)
                        .map(|i| i.id.clone())
                        .unwrap_or_default()
                })
                .filter(|v| !v.is_empty())
                .collect(),
        },
        Clause::All(parts) => Clause::All(
            parts
                .iter()
                .map(|c| resolve_projects(c, ws))
                .collect::<Result<_, _>>()?,
        ),
        Clause::Any(parts) => Clause::Any(
            parts
                .iter()
                .map(|c| resolve_projects(c, ws))
                .collect::<Result<_, _>>()?,
        ),
        other => other.clone(),
    })
}

/// Whether an issue satisfies a condition whose projects are resolved to ids.
fn holds(cond: &Clause, i: &Issue) -> bool {
    match cond {
        Clause::Project { negate, values } => values.contains(&i.project_id) != *negate,
        Clause::Key { values } => values.iter().any(|k| k.eq_ignore_ascii_case(&i.key)),
        Clause::Id { values } => values.contains(&i.id),
        Clause::Parent { values } => i.parent_id.as_ref().is_some_and(|p| values.contains(p)),
        Clause::Time { field, cmp, at } => {
            let t = match field {
                TimeField::Created => i.created,
                TimeField::Updated => i.updated,
            };
            match cmp {
                Cmp::Eq => t == *at,
                Cmp::Ge => t >= *at,
                Cmp::Gt => t > *at,
                Cmp::Le => t <= *at,
                Cmp::Lt => t < *at,
            }
        }
        Clause::All(parts) => parts.iter().all(|c| holds(c, i)),
        Clause::Any(parts) => parts.iter().any(|c| holds(c, i)),
    }
}
