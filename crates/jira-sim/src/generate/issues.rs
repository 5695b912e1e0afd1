//! The issues of a generated site: issues spread over the configured projects (text,
//! people, security levels, restrictions, custom fields and comments), and the issues
//! of the private LAB project.

use std::collections::BTreeMap;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::comments::comment_visibility;
use super::config::GenConfig;
use super::draw::{add_ms, epoch_start, pick};
use super::identity::GroupIds;
use super::ids::{CF_GROUP_PICKER, CF_USER_PICKER, ROLE_ADMINISTRATORS, ROLE_DEVELOPERS};
use super::projects::Site;
use super::text::{ISSUE_TYPES, PRIORITIES, STATUSES, Texter};
use super::topics::TOPICS;
use crate::model::{Comment, CommentVisibility, Group, Issue, Project, User};

/// The time generated issues are created over, from [`epoch_start`].
const SPAN_MS: i64 = 300 * 24 * 3600 * 1000;

/// `cfg.issues` issues over the site's projects (every project gets one, the story
/// projects more), with their comments, and the next free id. `bob` reports about half
/// the restricted ENG issues.
#[allow(clippy::too_many_arguments)]
pub(super) fn story_issues(
    rng: &mut ChaCha8Rng,
    cfg: &GenConfig,
    n_projects: usize,
    site: &Site,
    users: &[User],
    groups: &[Group],
    g: &GroupIds,
    bob: &str,
) -> (Vec<Issue>, u64) {
    let Site {
        projects,
        people,
        kinds,
        ..
    } = site;
    let (g_eng, g_sec) = (&g.eng, &g.sec);
    let start = epoch_start();
    let span_ms: i64 = SPAN_MS;
    let n_issues = cfg.issues;
    let mut next_id: u64 = 10001;
    let mut key_counters = vec![0u64; projects.len()];
    let mut issues = Vec::with_capacity(n_issues);
    let long_every = if cfg.long_comment_threads > 0 {
        n_issues
            .checked_div(cfg.long_comment_threads)
            .unwrap_or(1)
            .max(1)
    } else {
        usize::MAX
    };
    for i in 0..n_issues {
        // Spread over projects: every project gets issues, story projects more.
        let pidx = if i < projects.len() {
            i
        } else if rng.gen_bool(0.4) {
            rng.gen_range(0..4)
        } else {
            rng.gen_range(0..projects.len())
        };
        let project = &projects[pidx];
        key_counters[pidx] += 1;
        let topic = &TOPICS[rng.gen_range(0..TOPICS.len())];
        let tx = Texter { topic };
        let marker = rng.gen_bool(0.15);
        let (summary, subject) = tx.summary(rng);
        let description = tx.description(rng, marker);
        let description_text = description.plain_text();
        let crowd = &people[pidx];
        let mut reporter = pick(rng, crowd).clone();
        let assignee = if rng.gen_bool(0.8) {
            Some(pick(rng, crowd).clone())
        } else {
            None
        };
        let mut security_level_id = None;
        if pidx == 0 && rng.gen_bool(0.25) {
            security_level_id = Some("10100".to_string());
            // Bob reports about half the restricted issues (security via reporter).
            if rng.gen_bool(0.5) {
                reporter = bob.to_string();
            }
        } else if project.security_scheme_id.as_deref() == Some("10001") && rng.gen_bool(0.3) {
            security_level_id = Some(if rng.gen_bool(0.5) { "10101" } else { "10102" }.to_string());
        }
        let mut restricted_to_role_ids = Vec::new();
        if project.is_team_managed() && rng.gen_bool(0.2) {
            restricted_to_role_ids.push(
                if rng.gen_bool(0.5) {
                    ROLE_ADMINISTRATORS
                } else {
                    ROLE_DEVELOPERS
                }
                .to_string(),
            );
        }
        let mut user_custom_fields = BTreeMap::new();
        let mut group_custom_fields = BTreeMap::new();
        if i >= 4 && rng.gen_bool(0.35) {
            let mut v: Vec<String> = (0..rng.gen_range(1..3))
                .map(|_| pick(rng, crowd).clone())
                .collect();
            v.dedup();
            user_custom_fields.insert(CF_USER_PICKER.to_string(), v);
        }
        if i >= 4 && n_projects > 4 && rng.gen_bool(0.35) {
            let g = &groups[rng.gen_range(2..groups.len())];
            group_custom_fields.insert(CF_GROUP_PICKER.to_string(), vec![g.group_id.clone()]);
        }
        let created = add_ms(
            start,
            span_ms * i as i64 / n_issues.max(1) as i64 + rng.gen_range(0..3_600_000),
        );
        let mut updated = add_ms(created, rng.gen_range(0..20 * 24 * 3600 * 1000));

        // comments
        let n_comments = if i % long_every == long_every - 1 {
            rng.gen_range(21..46)
        } else {
            rng.gen_range(0..=(2 * cfg.comments_per_issue + 1))
        };
        let mut comments = Vec::with_capacity(n_comments);
        let mut t = add_ms(created, rng.gen_range(60_000..3_600_000));
        for _ in 0..n_comments {
            let author = pick(rng, crowd).clone();
            let mention = if rng.gen_bool(0.15) {
                let who = pick(rng, crowd);
                users
                    .iter()
                    .find(|u| &u.account_id == who)
                    .map(|u| (u.account_id.clone(), u.display_name.clone()))
            } else {
                None
            };
            let body = tx.comment(rng, mention.as_ref().map(|(a, b)| (a.as_str(), b.as_str())));
            let visibility = comment_visibility(rng, pidx, &kinds[pidx], groups, g_eng, g_sec);
            let id = next_id.to_string();
            next_id += 1;
            comments.push(Comment {
                id,
                author_account_id: author,
                body_text: body.plain_text(),
                body,
                created: t,
                updated: t,
                visibility,
                internal: false,
            });
            t = add_ms(t, rng.gen_range(60_000..2 * 24 * 3600 * 1000));
        }
        if let Some(last) = comments.last()
            && last.created > updated
        {
            updated = last.created;
        }
        let (status, status_category) = *pick(rng, &STATUSES);
        let mut labels: Vec<String> = topic
            .labels
            .iter()
            .take(rng.gen_range(0..3))
            .map(|s| s.to_string())
            .collect();
        labels.sort();
        issues.push(Issue {
            id: next_id.to_string(),
            key: format!("{}-{}", project.key, key_counters[pidx]),
            project_id: project.id.clone(),
            summary,
            description,
            description_text,
            status: status.into(),
            status_category: status_category.into(),
            priority: pick(rng, &PRIORITIES).to_string(),
            issue_type: pick(rng, &ISSUE_TYPES).to_string(),
            labels,
            reporter_account_id: Some(reporter),
            assignee_account_id: assignee,
            created,
            updated,
            security_level_id,
            parent_id: None,
            restricted_to_role_ids,
            user_custom_fields,
            group_custom_fields,
            comments,
            attachments: Vec::new(),
            subject: Some(subject),
        });
        next_id += 1;
    }
    (issues, next_id)
}

/// The LAB project's issues (at least 6, one per 50 configured issues), written by
/// `lab_crowd`; one in three restricted to the Administrators role.
pub(super) fn lab_issues(
    rng: &mut ChaCha8Rng,
    lab: &Project,
    lab_crowd: &[String],
    n_issues: usize,
    next_id: &mut u64,
) -> Vec<Issue> {
    let start = epoch_start();
    let span_ms: i64 = SPAN_MS;
    let n_lab = (n_issues / 50).max(6);
    let mut issues = Vec::with_capacity(n_lab);
    for n in 0..n_lab {
        let topic = &TOPICS[rng.gen_range(0..TOPICS.len())];
        let tx = Texter { topic };
        let (summary, subject) = tx.summary(rng);
        let description = tx.description(rng, n == 0);
        let created = add_ms(start, rng.gen_range(0..span_ms));
        let mut updated = add_ms(created, rng.gen_range(0..5 * 24 * 3600 * 1000));
        let mut comments = Vec::new();
        let mut t = add_ms(created, rng.gen_range(60_000..3_600_000));
        for _ in 0..rng.gen_range(0..3) {
            let body = tx.comment(rng, None);
            let visibility = rng.gen_bool(0.3).then(|| CommentVisibility::Role {
                role_id: ROLE_ADMINISTRATORS.into(),
                name: "Administrators".into(),
            });
            comments.push(Comment {
                id: next_id.to_string(),
                author_account_id: pick(rng, lab_crowd).clone(),
                body_text: body.plain_text(),
                body,
                created: t,
                updated: t,
                visibility,
                internal: false,
            });
            *next_id += 1;
            updated = updated.max(t);
            t = add_ms(t, rng.gen_range(60_000..24 * 3600 * 1000));
        }
        let (status, status_category) = *pick(rng, &STATUSES);
        issues.push(Issue {
            id: next_id.to_string(),
            key: format!("{}-{}", lab.key, n + 1),
            project_id: lab.id.clone(),
            summary,
            description_text: description.plain_text(),
            description,
            status: status.into(),
            status_category: status_category.into(),
            priority: pick(rng, &PRIORITIES).to_string(),
            issue_type: pick(rng, &ISSUE_TYPES).to_string(),
            labels: vec![],
            reporter_account_id: Some(pick(rng, lab_crowd).clone()),
            assignee_account_id: None,
            created,
            updated,
            security_level_id: None,
            parent_id: None,
            // Some issues restricted to the Administrators role: administrators of
            // Jira see the project, not these.
            restricted_to_role_ids: if n % 3 == 1 {
                vec![ROLE_ADMINISTRATORS.to_string()]
            } else {
                vec![]
            },
            user_custom_fields: BTreeMap::new(),
            group_custom_fields: BTreeMap::new(),
            comments,
            attachments: Vec::new(),
            subject: Some(subject),
        });
        *next_id += 1;
    }
    issues
}
