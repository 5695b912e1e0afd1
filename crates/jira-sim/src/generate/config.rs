//! The generator's configuration ([`GenConfig`]) and its presets (skeleton, small,
//! medium, large).

/// Generator configuration. Counts include the fixed story entities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenConfig {
    /// Seed of the random streams: same seed and counts, same workspace.
    pub seed: u64,
    /// Number of projects (at least 4: ENG, OPS, HR, PUB).
    pub projects: usize,
    /// Number of users including the admin connector account (at least 12).
    pub users: usize,
    /// Number of groups (at least 6).
    pub groups: usize,
    /// Number of issues of the configured projects (the LAB project's issues and sub-tasks come on top).
    pub issues: usize,
    /// Mean number of comments per issue.
    pub comments_per_issue: usize,
    /// Issues that get a long comment thread (21–45 comments, more than one inline page).
    pub long_comment_threads: usize,
}

impl GenConfig {
    /// The skeleton: 4 classic projects, 12 users, 6 groups, ~200 issues, 0–5 comments each.
    pub fn skeleton(seed: u64) -> Self {
        GenConfig {
            seed,
            projects: 4,
            users: 12,
            groups: 6,
            issues: 200,
            comments_per_issue: 2,
            long_comment_threads: 0,
        }
    }
    /// 1,000 issues over 16 projects (every holder type, archived and team-managed projects).
    pub fn small(seed: u64) -> Self {
        GenConfig {
            seed,
            projects: 16,
            users: 60,
            groups: 14,
            issues: 1_000,
            comments_per_issue: 2,
            long_comment_threads: 5,
        }
    }
    /// 10,000 issues over 30 projects.
    pub fn medium(seed: u64) -> Self {
        GenConfig {
            seed,
            projects: 30,
            users: 300,
            groups: 40,
            issues: 10_000,
            comments_per_issue: 2,
            long_comment_threads: 30,
        }
    }
    /// 50,000 issues over 60 projects.
    pub fn large(seed: u64) -> Self {
        GenConfig {
            seed,
            projects: 60,
            users: 1_000,
            groups: 100,
            issues: 50_000,
            comments_per_issue: 2,
            long_comment_threads: 100,
        }
    }
}
