//! Comment restrictions: which generated comments are restricted to a group or a
//! project role, and which comments of service projects are internal.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::ids::{ROLE_ADMINISTRATORS, ROLE_DEVELOPERS};
use super::projects::ExtraKind;
use super::text::COMMENT_MARKER_SENTENCES;
use crate::model::{Block, CommentVisibility, Group, Inline, Issue, MARKER_IN_COMMENT, Project};

/// Who may read a new comment of project `pidx` (none for most comments): the
/// security team or Developers on ENG, Administrators on OPS, engineering or Developers
/// on PUB, Developers or a random group on generated projects.
pub(super) fn comment_visibility(
    rng: &mut ChaCha8Rng,
    pidx: usize,
    kind: &Option<ExtraKind>,
    groups: &[Group],
    g_eng: &str,
    g_sec: &str,
) -> Option<CommentVisibility> {
    let roll = rng.gen_range(0..100);
    let group = |id: &str| {
        let name = groups
            .iter()
            .find(|g| g.group_id == id)
            .map(|g| g.name.clone())
            .unwrap_or_default();
        Some(CommentVisibility::Group {
            group_id: id.to_string(),
            name,
        })
    };
    let role = |id: &str, name: &str| {
        Some(CommentVisibility::Role {
            role_id: id.into(),
            name: name.into(),
        })
    };
    match (pidx, kind) {
        (0, _) if roll < 12 => group(g_sec),
        (0, _) if roll < 22 => role(ROLE_DEVELOPERS, "Developers"),
        (1, _) if roll < 18 => role(ROLE_ADMINISTRATORS, "Administrators"),
        (3, _) if roll < 15 => group(g_eng),
        (3, _) if roll < 20 => role(ROLE_DEVELOPERS, "Developers"),
        (_, Some(_)) if roll < 8 => role(ROLE_DEVELOPERS, "Developers"),
        (_, Some(_)) if roll < 14 => {
            let g = &groups[rng.gen_range(0..groups.len())];
            group(&g.group_id)
        }
        _ => None,
    }
}

/// Makes about a quarter of the unrestricted comments of service projects internal
/// (Jira Service Management), at least one per service project that has comments, and
/// makes sure an internal comment carries [`MARKER_IN_COMMENT`].
pub(super) fn mark_internal_comments(
    rng: &mut ChaCha8Rng,
    issues: &mut [Issue],
    projects: &[Project],
) {
    let service: Vec<&str> = projects
        .iter()
        .filter(|p| p.project_type_key == "service_desk")
        .map(|p| p.id.as_str())
        .collect();
    let mut any_in: Vec<&str> = Vec::new();
    for issue in issues.iter_mut() {
        if !service.contains(&issue.project_id.as_str()) {
            continue;
        }
        let first_in_project = !any_in.contains(&issue.project_id.as_str());
        for (n, c) in issue.comments.iter_mut().enumerate() {
            if c.visibility.is_none() && (rng.gen_bool(0.25) || (first_in_project && n == 0)) {
                c.internal = true;
            }
        }
        if issue.comments.iter().any(|c| c.internal)
            && let Some(p) = service.iter().find(|p| **p == issue.project_id)
        {
            any_in.push(p);
        }
    }
    let marked = issues
        .iter()
        .flat_map(|i| &i.comments)
        .any(|c| c.internal && c.body_text.contains(MARKER_IN_COMMENT));
    if !marked
        && let Some(c) = issues
            .iter_mut()
            .flat_map(|i| i.comments.iter_mut())
            .find(|c| c.internal)
    {
        c.body.blocks.push(Block::Paragraph(vec![Inline::Text {
            text: COMMENT_MARKER_SENTENCES[0].to_string(),
            marks: vec![],
        }]));
        c.body_text = c.body.plain_text();
    }
}
