//! The search markers: [`MARKER_IN_COMMENT`](crate::model::MARKER_IN_COMMENT) planted in about one issue in ten's
//! comments (restricted and unrestricted ones), [`MARKER_IN_DESCRIPTION`] made sure of in
//! every project and on an issue with a security level.

use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::draw::pick;
use super::text::{COMMENT_MARKER_SENTENCES, DESC_MARKER_SENTENCES};
use crate::model::{Block, Inline, Issue, MARKER_IN_DESCRIPTION, Mark, Project};

/// Plants the comment marker in ~10% of issues, making sure restricted and unrestricted
/// comments both carry it.
pub(super) fn plant_comment_markers(
    rng: &mut ChaCha8Rng,
    issues: &mut [Issue],
    projects: &[Project],
) {
    let _ = projects;
    let n = issues.len();
    let want = (n / 10).max(1);
    let mut planted = 0;
    let mut restricted_planted = false;
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    for idx in order {
        if planted >= want {
            break;
        }
        let issue = &mut issues[idx];
        if issue.comments.is_empty() {
            continue;
        }
        // Prefer a restricted comment until one carries the marker.
        let ci = if !restricted_planted {
            issue.comments.iter().position(|c| c.visibility.is_some())
        } else {
            None
        }
        .unwrap_or_else(|| rng.gen_range(0..issue.comments.len()));
        let c = &mut issue.comments[ci];
        if c.visibility.is_some() {
            restricted_planted = true;
        }
        let sentence = pick(rng, &COMMENT_MARKER_SENTENCES).to_string();
        c.body.blocks.push(Block::Paragraph(vec![Inline::Text {
            text: sentence,
            marks: vec![Mark::Em],
        }]));
        c.body_text = c.body.plain_text();
        planted += 1;
    }
}

/// Ensures every project and at least one issue with a security level carries the
/// description marker.
pub(super) fn ensure_description_markers(
    rng: &mut ChaCha8Rng,
    issues: &mut [Issue],
    projects: &[Project],
) {
    let has = |i: &Issue| i.description_text.contains(MARKER_IN_DESCRIPTION);
    let plant = |issue: &mut Issue, rng: &mut ChaCha8Rng| {
        let m = pick(rng, &DESC_MARKER_SENTENCES).to_string();
        issue
            .description
            .blocks
            .push(Block::Paragraph(vec![Inline::Text {
                text: m,
                marks: vec![],
            }]));
        issue.description_text = issue.description.plain_text();
    };
    for p in projects {
        if !issues.iter().any(|i| i.project_id == p.id && has(i))
            && let Some(i) = issues.iter_mut().find(|i| i.project_id == p.id)
        {
            plant(i, rng);
        }
    }
    if !issues
        .iter()
        .any(|i| i.security_level_id.is_some() && has(i))
        && let Some(i) = issues.iter_mut().find(|i| i.security_level_id.is_some())
    {
        plant(i, rng);
    }
}
