//! Sub-tasks: added last, under issues of live classic projects, some under parents
//! with a security level (a sub-task has its parent's level).

use std::collections::BTreeMap;

use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::draw::{add_ms, pick};
use super::text::{DESC_MARKER_SENTENCES, STATUSES};
use crate::model::{AdfDoc, Comment, Issue, Project, SUBTASK_TYPE};

const SUBTASK_SUMMARIES: [&str; 6] = [
    "Write the regression test",
    "Review the rollout plan",
    "Update the runbook",
    "Verify the fix on staging",
    "Prepare the release notes",
    "Check the monitoring alerts",
];
const SUBTASK_COMMENTS: [&str; 4] = [
    "Picked this up today.",
    "Done, please review.",
    "Blocked until the parent is fixed.",
    "Moved to the next sprint.",
];

/// Adds sub-tasks (issue type [`SUBTASK_TYPE`]) under issues of live classic
/// projects: first under parents with a security level (a sub-task has its parent's
/// level; its description carries [`MARKER_IN_DESCRIPTION`](crate::model::MARKER_IN_DESCRIPTION)), then under others. A
/// sub-task is created after its parent, in the parent's project, by people of it.
pub(super) fn add_subtasks(
    rng: &mut ChaCha8Rng,
    issues: &mut Vec<Issue>,
    projects: &[Project],
    people: &[Vec<String>],
    next_id: &mut u64,
    n_issues: usize,
) {
    let eligible = |i: &Issue| {
        !i.is_subtask()
            && projects
                .iter()
                .any(|p| p.id == i.project_id && !p.archived && !p.is_team_managed())
    };
    let secured: Vec<usize> = (0..issues.len())
        .filter(|&i| eligible(&issues[i]) && issues[i].security_level_id.is_some())
        .collect();
    let plain: Vec<usize> = (0..issues.len())
        .filter(|&i| eligible(&issues[i]) && issues[i].security_level_id.is_none())
        .collect();
    let want = (n_issues / 40).max(4);
    let mut parents: Vec<usize> = secured
        .choose_multiple(rng, (want / 2).max(2).min(secured.len()))
        .copied()
        .collect();
    let rest = want.saturating_sub(parents.len()).min(plain.len());
    parents.extend(plain.choose_multiple(rng, rest).copied());
    let mut counters: BTreeMap<String, u64> = BTreeMap::new();
    for i in issues.iter() {
        if let Some((k, n)) = i.key.rsplit_once('-')
            && let Ok(n) = n.parse::<u64>()
        {
            let c = counters.entry(k.to_string()).or_default();
            *c = (*c).max(n);
        }
    }
    for pidx in parents {
        let parent = issues[pidx].clone();
        let Some(project_pos) = projects.iter().position(|p| p.id == parent.project_id) else {
            continue;
        };
        let project = &projects[project_pos];
        let crowd = match people.get(project_pos) {
            Some(c) if !c.is_empty() => c.clone(),
            _ => vec![project.lead_account_id.clone()],
        };
        for _ in 0..rng.gen_range(1..=2) {
            let counter = counters.entry(project.key.clone()).or_default();
            *counter += 1;
            let key = format!("{}-{}", project.key, *counter);
            let mut text = format!("Part of {}.", parent.key);
            if parent.security_level_id.is_some() {
                text.push_str("\n\n");
                text.push_str(DESC_MARKER_SENTENCES[rng.gen_range(0..DESC_MARKER_SENTENCES.len())]);
            }
            let description = AdfDoc::from_text(&text);
            let created = add_ms(
                parent.created,
                rng.gen_range(3_600_000..5 * 24 * 3600 * 1000),
            );
            let mut updated = add_ms(created, rng.gen_range(0..3 * 24 * 3600 * 1000));
            let mut comments = Vec::new();
            let mut t = add_ms(created, rng.gen_range(60_000..3_600_000));
            for _ in 0..rng.gen_range(0..=2) {
                let text = *pick(rng, &SUBTASK_COMMENTS);
                let body = AdfDoc::from_text(text);
                comments.push(Comment {
                    id: next_id.to_string(),
                    author_account_id: pick(rng, &crowd).clone(),
                    body_text: body.plain_text(),
                    body,
                    created: t,
                    updated: t,
                    visibility: None,
                    internal: false,
                });
                *next_id += 1;
                updated = updated.max(t);
                t = add_ms(t, rng.gen_range(60_000..24 * 3600 * 1000));
            }
            let (status, status_category) = *pick(rng, &STATUSES);
            issues.push(Issue {
                id: next_id.to_string(),
                key,
                project_id: parent.project_id.clone(),
                summary: pick(rng, &SUBTASK_SUMMARIES).to_string(),
                description_text: description.plain_text(),
                description,
                status: status.into(),
                status_category: status_category.into(),
                priority: parent.priority.clone(),
                issue_type: SUBTASK_TYPE.into(),
                labels: vec![],
                reporter_account_id: Some(pick(rng, &crowd).clone()),
                assignee_account_id: rng.gen_bool(0.7).then(|| pick(rng, &crowd).clone()),
                created,
                updated,
                // Jira keeps a sub-task's level equal to its parent's.
                security_level_id: parent.security_level_id.clone(),
                parent_id: Some(parent.id.clone()),
                restricted_to_role_ids: vec![],
                user_custom_fields: BTreeMap::new(),
                group_custom_fields: BTreeMap::new(),
                comments,
                attachments: Vec::new(),
                subject: None,
            });
            *next_id += 1;
        }
    }
}
