//! Seeded, deterministic workspace generator.
//!
//! The first projects, users and groups are fixed "story" entities that tests rely on
//! (see the crate docs for who is who); larger presets add generated users, groups and
//! projects that cycle through every BROWSE_PROJECTS holder type, archived and
//! team-managed projects. Same config → byte-identical workspace.

use crate::model::*;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// Generator configuration. Counts include the fixed story entities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenConfig {
    pub seed: u64,
    /// Number of projects (at least 4: ENG, OPS, HR, PUB).
    pub projects: usize,
    /// Number of users including the admin connector account (at least 12).
    pub users: usize,
    /// Number of groups (at least 6).
    pub groups: usize,
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

/// Default connector credentials of every generated workspace.
pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_API_TOKEN: &str = "sim-api-token";

/// Role ids of the global project roles.
pub const ROLE_USERS: &str = "10000";
pub const ROLE_DEVELOPERS: &str = "10001";
pub const ROLE_ADMINISTRATORS: &str = "10002";

/// Custom fields used by userCustomField / groupCustomField grants.
pub const CF_USER_PICKER: &str = "customfield_10050";
pub const CF_GROUP_PICKER: &str = "customfield_10051";

/// Application role keys.
pub const APP_SOFTWARE: &str = "jira-software";
pub const APP_SERVICEDESK: &str = "jira-servicedesk";

/// Fixed story users: (display name, email local part).
const STORY_USERS: [(&str, &str); 12] = [
    ("Site Admin", "admin"),
    ("Alice Nguyen", "alice"),
    ("Bob Martin", "bob"),
    ("Carol Diaz", "carol"),
    ("Dave Okafor", "dave"),
    ("Erin Walsh", "erin"),
    ("Frank Li", "frank"),
    ("Grace Kim", "grace"),
    ("Heidi Novak", "heidi"),
    ("Ivan Petrov", "ivan"),
    ("Judy Brown", "judy"),
    ("Mallory Chen", "mallory"),
];

const FIRST_NAMES: [&str; 24] = [
    "Liam", "Olivia", "Noah", "Emma", "Mateo", "Sofia", "Arjun", "Priya", "Kenji", "Yuki", "Lukas",
    "Hanna", "Omar", "Layla", "Diego", "Lucia", "Tariq", "Amara", "Pavel", "Irina", "Samuel",
    "Chloe", "Felix", "Nora",
];
const LAST_NAMES: [&str; 20] = [
    "Garcia", "Schmidt", "Rossi", "Tanaka", "Kowalski", "Andersen", "Silva", "Haddad", "Murphy",
    "Dubois", "Jansen", "Costa", "Ivanova", "Sato", "Fischer", "Moreau", "Larsen", "Reyes",
    "Bauer", "Singh",
];

/// Kinds of generated projects beyond the four story projects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExtraKind {
    AppRoleSoftware,
    AppRoleAny,
    AppRoleServiceDesk,
    ProjectLead,
    Reporter,
    Assignee,
    UserCustomField,
    GroupCustomField,
    Archived,
    TeamOpen,
    TeamPrivate,
    GroupWithSecurity,
}

const EXTRA_KINDS: [ExtraKind; 12] = [
    ExtraKind::AppRoleSoftware,
    ExtraKind::ProjectLead,
    ExtraKind::Reporter,
    ExtraKind::Archived,
    ExtraKind::TeamOpen,
    ExtraKind::Assignee,
    ExtraKind::UserCustomField,
    ExtraKind::GroupCustomField,
    ExtraKind::TeamPrivate,
    ExtraKind::AppRoleAny,
    ExtraKind::AppRoleServiceDesk,
    ExtraKind::GroupWithSecurity,
];

const EXTRA_KEYS: [&str; 20] = [
    "PAY", "WEB", "DATA", "MOB", "API", "SUP", "INF", "MKT", "SEC", "QA", "BILL", "AUTH", "SRCH",
    "DEV", "FIN", "LEG", "OPSX", "CRM", "ML", "DOC",
];
const EXTRA_NAMES: [&str; 20] = [
    "Payments",
    "Website",
    "Data Platform",
    "Mobile",
    "Public API",
    "Support",
    "Infrastructure",
    "Marketing",
    "Security",
    "Quality",
    "Billing",
    "Identity",
    "Search",
    "Developer Tools",
    "Finance",
    "Legal",
    "Operations Extra",
    "Customer Relations",
    "Machine Learning",
    "Documentation",
];

struct Topic {
    components: &'static [&'static str],
    symptoms: &'static [&'static str],
    features: &'static [&'static str],
    code: &'static [&'static str],
    labels: &'static [&'static str],
}

const TOPICS: [Topic; 10] = [
    Topic {
        components: &[
            "payment gateway",
            "card authorization",
            "refund flow",
            "checkout page",
            "currency conversion",
            "chargeback handler",
        ],
        symptoms: &[
            "returns duplicate charges",
            "times out under load",
            "rejects valid cards",
            "rounds amounts incorrectly",
        ],
        features: &[
            "retry with idempotency keys",
            "support for partial refunds",
            "a payment audit trail",
        ],
        code: &[
            "POST /v1/payments 502 Bad Gateway (upstream timeout after 30000 ms)",
            "ERROR PaymentService: idempotency key already used",
        ],
        labels: &["payments", "checkout"],
    },
    Topic {
        components: &[
            "login page",
            "SSO redirect",
            "password reset",
            "two-factor prompt",
            "session cookie",
            "OAuth callback",
        ],
        symptoms: &[
            "loops back to the start page",
            "logs users out after a minute",
            "shows a blank screen",
            "ignores the remember me option",
        ],
        features: &[
            "passkey sign in",
            "a clearer lockout message",
            "rate limiting on failed attempts",
        ],
        code: &[
            "WARN AuthFilter: session token expired for request /dashboard",
            "HTTP 302 Location: /login?next=%2Flogin",
        ],
        labels: &["login", "auth"],
    },
    Topic {
        components: &[
            "search results",
            "relevance ranking",
            "autocomplete",
            "search index",
            "query parser",
            "facet filters",
        ],
        symptoms: &[
            "returns stale documents",
            "ranks old tickets first",
            "crashes on quotes",
            "misses exact title matches",
        ],
        features: &[
            "typo tolerance",
            "highlighting of matched words",
            "filters by date range",
        ],
        code: &[
            "QueryParseError: unexpected token '\"' at position 14",
            "GET /search?q=refund&page=2 took 4120 ms",
        ],
        labels: &["search"],
    },
    Topic {
        components: &[
            "deploy pipeline",
            "canary release",
            "build agent",
            "Helm chart",
            "rollback script",
            "artifact cache",
        ],
        symptoms: &[
            "fails on the integration stage",
            "hangs while pulling images",
            "deploys the wrong tag",
            "skips the smoke tests",
        ],
        features: &[
            "automatic rollback on error budget burn",
            "parallel test shards",
            "signed build artifacts",
        ],
        code: &[
            "Error: UPGRADE FAILED: timed out waiting for the condition",
            "step 7/12 exited with code 137 (out of memory)",
        ],
        labels: &["deploy", "ci"],
    },
    Topic {
        components: &[
            "database migration",
            "schema change",
            "read replica",
            "connection pool",
            "index rebuild",
            "nightly backup job",
        ],
        symptoms: &[
            "locks the orders table",
            "exhausts connections",
            "lags behind the primary",
            "runs for hours",
        ],
        features: &[
            "online schema changes",
            "a dry run mode",
            "point in time recovery checks",
        ],
        code: &[
            "ALTER TABLE invoices ADD COLUMN due_date DATE NOT NULL;",
            "FATAL: remaining connection slots are reserved",
        ],
        labels: &["database", "migration"],
    },
    Topic {
        components: &[
            "invoice PDF",
            "tax calculation",
            "billing cycle",
            "invoice email",
            "credit note",
            "dunning reminder",
        ],
        symptoms: &[
            "shows the wrong VAT rate",
            "is sent twice",
            "uses the old company address",
            "is missing line items",
        ],
        features: &[
            "multi currency invoices",
            "bulk invoice export",
            "custom invoice numbering",
        ],
        code: &[
            "InvoiceRenderer: font 'Inter' not found, falling back",
            "tax_rate=0.19 expected=0.07 country=DE",
        ],
        labels: &["invoices", "billing"],
    },
    Topic {
        components: &[
            "onboarding checklist",
            "welcome email",
            "laptop provisioning",
            "account setup",
            "training plan",
            "buddy program",
        ],
        symptoms: &[
            "is missing for new hires",
            "arrives after the first day",
            "assigns the wrong manager",
            "skips the security training",
        ],
        features: &[
            "a self service onboarding portal",
            "automatic account creation",
            "a first week schedule",
        ],
        code: &[
            "provisioning: group 'new-hires' not found in directory",
            "cron onboarding-reminder exited 1",
        ],
        labels: &["onboarding", "people"],
    },
    Topic {
        components: &[
            "notification service",
            "push notifications",
            "email digest",
            "webhook delivery",
            "in app banner",
            "SMS gateway",
        ],
        symptoms: &[
            "delivers messages twice",
            "drops events during deploys",
            "ignores user preferences",
            "is delayed by hours",
        ],
        features: &[
            "per channel preferences",
            "delivery receipts",
            "a quiet hours setting",
        ],
        code: &[
            "webhook delivery failed: 410 Gone from subscriber",
            "queue depth 48211 exceeds threshold 10000",
        ],
        labels: &["notifications"],
    },
    Topic {
        components: &[
            "reporting dashboard",
            "CSV export",
            "usage metrics",
            "sales report",
            "chart widget",
            "data warehouse sync",
        ],
        symptoms: &[
            "shows yesterday's numbers",
            "exports empty files",
            "double counts refunds",
            "renders slowly",
        ],
        features: &[
            "scheduled report emails",
            "drill down by region",
            "a shareable dashboard link",
        ],
        code: &[
            "SELECT region, sum(amount) FROM sales GROUP BY region;",
            "export job 8812 produced 0 rows",
        ],
        labels: &["reporting", "analytics"],
    },
    Topic {
        components: &[
            "mobile app",
            "offline mode",
            "image upload",
            "settings screen",
            "deep links",
            "app store release",
        ],
        symptoms: &[
            "crashes on startup",
            "loses drafts when offline",
            "drains the battery",
            "opens the wrong screen",
        ],
        features: &["dark mode", "biometric unlock", "background sync"],
        code: &[
            "java.lang.NullPointerException at SettingsFragment.onResume(SettingsFragment.kt:88)",
            "Thread 1: Fatal error: Unexpectedly found nil",
        ],
        labels: &["mobile"],
    },
];

const ENVIRONMENTS: [&str; 5] = [
    "production",
    "staging",
    "the EU cluster",
    "the US cluster",
    "local development",
];

const SENTENCES: [&str; 16] = [
    "The {c} {s} on {env} since the last release.",
    "Customers report that the {c} {s}, mostly during peak hours.",
    "We should add monitoring around the {c} before the next sprint.",
    "This blocks the {c2} work planned for this quarter.",
    "Logs show repeated retries from the {c} worker around {n} times per minute.",
    "Rolling back the {c} change fixed the problem only temporarily.",
    "Support received {n} tickets about this in the last week.",
    "The root cause seems to be a race between the {c} and the {c2}.",
    "A quick fix would be to raise the timeout, but that hides the real problem.",
    "Please coordinate with the team that owns the {c2} before changing anything.",
    "After the fix we need a regression test that covers the {c}.",
    "The proposal is to add {f} to the {c}.",
    "Product asked for {f} as part of the roadmap review.",
    "Nobody has reproduced this on {env} yet.",
    "The dashboards show the error rate of the {c} at {n} percent.",
    "Documentation for the {c} is out of date and confuses new developers.",
];

const COMMENT_SENTENCES: [&str; 14] = [
    "I can reproduce this on {env}.",
    "Looks related to the {c} change from last week.",
    "I pushed a fix for the {c}, please review.",
    "Could you attach the logs from {env}?",
    "This is still happening after the hotfix.",
    "Verified on {env}, closing once the release is out.",
    "We discussed this in planning; {f} goes into the next sprint.",
    "Raising priority because {n} customers are affected.",
    "The {c2} team confirmed they are not the cause.",
    "Adding a feature flag so we can turn the {c} change off quickly.",
    "Thanks, the workaround helps for now.",
    "Let's pair on this tomorrow morning.",
    "Moved the {c} follow-up into a separate ticket.",
    "Metrics look healthy again after the rollback.",
];

const DESC_MARKER_SENTENCES: [&str; 3] = [
    "Internal codename zephyrine was assigned to this work.",
    "The zephyrine rollout checklist applies here.",
    "Track this under the zephyrine initiative.",
];
const COMMENT_MARKER_SENTENCES: [&str; 3] = [
    "Spotted a quokka in the staging fixtures again.",
    "The quokka test account shows the same behaviour.",
    "Renamed the flag to quokka so nobody confuses it with the old one.",
];

const STATUSES: [(&str, &str); 5] = [
    ("To Do", "new"),
    ("Backlog", "new"),
    ("In Progress", "indeterminate"),
    ("In Review", "indeterminate"),
    ("Done", "done"),
];
const PRIORITIES: [&str; 5] = ["Highest", "High", "Medium", "Low", "Lowest"];
const ISSUE_TYPES: [&str; 4] = ["Bug", "Task", "Story", "Improvement"];

fn hex_id(rng: &mut ChaCha8Rng, len: usize) -> String {
    let mut s = String::with_capacity(len);
    while s.len() < len {
        s.push_str(&format!("{:016x}", rng.r#gen::<u64>()));
    }
    s.truncate(len);
    s
}

fn uuid_like(rng: &mut ChaCha8Rng) -> String {
    let h = hex_id(rng, 32);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

struct Texter<'a> {
    topic: &'a Topic,
}

impl Texter<'_> {
    fn fill(&self, rng: &mut ChaCha8Rng, template: &str) -> String {
        let mut out = template.to_string();
        if out.contains("{c2}") {
            let t2 = pick(rng, &TOPICS);
            out = out.replace("{c2}", pick::<&str>(rng, t2.components));
        }
        if out.contains("{c}") {
            out = out.replace("{c}", pick::<&str>(rng, self.topic.components));
        }
        if out.contains("{s}") {
            out = out.replace("{s}", pick::<&str>(rng, self.topic.symptoms));
        }
        if out.contains("{f}") {
            out = out.replace("{f}", pick::<&str>(rng, self.topic.features));
        }
        if out.contains("{env}") {
            out = out.replace("{env}", pick::<&str>(rng, &ENVIRONMENTS));
        }
        if out.contains("{n}") {
            out = out.replace("{n}", &rng.gen_range(2..120).to_string());
        }
        out
    }

    fn sentences(&self, rng: &mut ChaCha8Rng, pool: &[&str], n: usize) -> String {
        (0..n)
            .map(|_| {
                let t = *pick(rng, pool);
                self.fill(rng, t)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A summary and what it is about. The draws are those the generator always made,
    /// so recording the subject changes no generated site.
    fn summary(&self, rng: &mut ChaCha8Rng) -> (String, Subject) {
        let c = pick(rng, self.topic.components).to_string();
        let mut subject = Subject {
            topic: self.topic.labels[0].to_string(),
            ..Subject::default()
        };
        let mut s = match rng.gen_range(0..5) {
            0 => {
                let s = pick::<&str>(rng, self.topic.symptoms).to_string();
                let text = format!("{c} {s}");
                (subject.component, subject.symptom) = (Some(c), Some(s));
                text
            }
            1 => {
                let f = pick::<&str>(rng, self.topic.features).to_string();
                let text = format!("Add {f} to the {c}");
                (subject.component, subject.feature) = (Some(c), Some(f));
                text
            }
            2 => {
                let s = pick::<&str>(rng, self.topic.symptoms).to_string();
                let text = format!("Investigate why the {c} {s}");
                (subject.component, subject.symptom) = (Some(c), Some(s));
                text
            }
            3 => {
                let text = format!("Update documentation for the {c}");
                subject.component = Some(c);
                text
            }
            _ => {
                let s = pick::<&str>(rng, self.topic.symptoms).to_string();
                let text = format!("{s} on {}", pick(rng, &ENVIRONMENTS));
                subject.symptom = Some(s);
                text
            }
        };
        if let Some(first) = s.get(0..1) {
            let up = first.to_uppercase();
            s.replace_range(0..1, &up);
        }
        (s, subject)
    }

    fn paragraph(&self, rng: &mut ChaCha8Rng, text: String) -> Block {
        // Occasionally emphasise a component name or add a link.
        let roll = rng.gen_range(0..6);
        if roll == 0 {
            let c = pick(rng, self.topic.components).to_string();
            Block::Paragraph(vec![
                Inline::Text {
                    text: format!("{text} See "),
                    marks: vec![],
                },
                Inline::Text {
                    text: c,
                    marks: vec![Mark::Strong],
                },
                Inline::Text {
                    text: " for context.".into(),
                    marks: vec![],
                },
            ])
        } else if roll == 1 {
            Block::Paragraph(vec![
                Inline::Text {
                    text: format!("{text} Details in the "),
                    marks: vec![],
                },
                Inline::Text {
                    text: "runbook".into(),
                    marks: vec![
                        Mark::Link("https://wiki.example.com/runbook".into()),
                        Mark::Em,
                    ],
                },
                Inline::Text {
                    text: ".".into(),
                    marks: vec![],
                },
            ])
        } else if roll == 2 {
            Block::Paragraph(vec![
                Inline::Text {
                    text,
                    marks: vec![],
                },
                Inline::HardBreak,
                Inline::Text {
                    text: "Flag:".into(),
                    marks: vec![Mark::Underline],
                },
                Inline::Text {
                    text: " ".into(),
                    marks: vec![],
                },
                Inline::Text {
                    text: "ENABLE_NEW_FLOW".into(),
                    marks: vec![Mark::Code],
                },
            ])
        } else {
            Block::Paragraph(vec![Inline::Text {
                text,
                marks: vec![],
            }])
        }
    }

    fn description(&self, rng: &mut ChaCha8Rng, marker: bool) -> AdfDoc {
        let mut blocks = Vec::new();
        let style = rng.gen_range(0..4);
        let n = rng.gen_range(2..4);
        let first = self.sentences(rng, &SENTENCES, n);
        blocks.push(self.paragraph(rng, first));
        if style >= 1 {
            blocks.push(Block::Heading {
                level: 2,
                text: "Steps to reproduce".into(),
            });
            let steps: Vec<String> = (0..rng.gen_range(2..5usize))
                .collect::<Vec<_>>()
                .into_iter()
                .map(|i| {
                    format!(
                        "Step {}: open the {}",
                        i + 1,
                        pick(rng, self.topic.components)
                    )
                })
                .collect();
            blocks.push(Block::OrderedList(steps));
        }
        if style >= 2 {
            blocks.push(Block::Heading {
                level: 3,
                text: "Notes".into(),
            });
            let items: Vec<String> = (0..rng.gen_range(2..4usize))
                .collect::<Vec<_>>()
                .into_iter()
                .map(|_| {
                    let t = *pick(rng, &SENTENCES);
                    self.fill(rng, t)
                })
                .collect();
            blocks.push(Block::BulletList(items));
            blocks.push(Block::CodeBlock {
                language: if rng.gen_bool(0.5) {
                    "text".into()
                } else {
                    "sql".into()
                },
                text: pick(rng, self.topic.code).to_string(),
            });
        }
        if style == 3 {
            let panel_type =
                pick(rng, &["info", "note", "warning", "success", "error"]).to_string();
            let t = *pick(rng, &SENTENCES);
            let text = self.fill(rng, t);
            blocks.push(Block::Panel { panel_type, text });
            blocks.push(Block::Rule);
            let q = self.sentences(rng, &SENTENCES, 1);
            blocks.push(Block::Blockquote(q));
        }
        if marker {
            let m = pick(rng, &DESC_MARKER_SENTENCES).to_string();
            blocks.push(Block::Paragraph(vec![Inline::Text {
                text: m,
                marks: vec![],
            }]));
        }
        AdfDoc { blocks }
    }

    fn comment(&self, rng: &mut ChaCha8Rng, mention: Option<(&str, &str)>) -> AdfDoc {
        let n = rng.gen_range(1..4);
        let text = self.sentences(rng, &COMMENT_SENTENCES, n);
        let mut inlines = Vec::new();
        if let Some((id, name)) = mention {
            inlines.push(Inline::Mention {
                account_id: id.to_string(),
                text: format!("@{name}"),
            });
            inlines.push(Inline::Text {
                text: format!(" {text}"),
                marks: vec![],
            });
        } else {
            inlines.push(Inline::Text {
                text,
                marks: vec![],
            });
        }
        AdfDoc {
            blocks: vec![Block::Paragraph(inlines)],
        }
    }
}

/// The fixed instant generated data is anchored on (first issue is created shortly after).
pub fn epoch_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 6, 9, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

fn add_ms(t: DateTime<Utc>, ms: i64) -> DateTime<Utc> {
    t + Duration::milliseconds(ms)
}

/// Generates a workspace; deterministic for a given config.
pub fn generate(cfg: &GenConfig) -> Workspace {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let n_users = cfg.users.max(STORY_USERS.len());
    let n_groups = cfg.groups.max(6);
    let n_projects = cfg.projects.max(4);

    // ---- users
    let mut users = Vec::with_capacity(n_users);
    for (name, local) in STORY_USERS {
        users.push(User {
            account_id: hex_id(&mut rng, 24),
            account_type: "atlassian".into(),
            email: format!("{local}@example.com"),
            email_visible: local != "heidi",
            display_name: name.into(),
            active: local != "ivan",
            time_zone: "UTC".into(),
        });
    }
    for i in STORY_USERS.len()..n_users {
        let first = *pick(&mut rng, &FIRST_NAMES);
        let last = *pick(&mut rng, &LAST_NAMES);
        let hidden = rng.gen_bool(0.06);
        let inactive = rng.gen_bool(0.04);
        users.push(User {
            account_id: hex_id(&mut rng, 24),
            account_type: "atlassian".into(),
            email: format!(
                "{}.{}{}@example.com",
                first.to_lowercase(),
                last.to_lowercase(),
                i
            ),
            email_visible: !hidden,
            display_name: format!("{first} {last}"),
            active: !inactive,
            time_zone: pick(
                &mut rng,
                &["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"],
            )
            .to_string(),
        });
    }
    let acc = |i: usize| users[i].account_id.clone();
    let (admin, alice, bob, carol, dave, erin, frank, grace, heidi, ivan, judy, mallory) = (
        acc(0),
        acc(1),
        acc(2),
        acc(3),
        acc(4),
        acc(5),
        acc(6),
        acc(7),
        acc(8),
        acc(9),
        acc(10),
        acc(11),
    );
    let extra_users: Vec<String> = users[STORY_USERS.len()..]
        .iter()
        .map(|u| u.account_id.clone())
        .collect();

    // ---- groups
    let mut groups = Vec::with_capacity(n_groups);
    let mut jira_users_members: Vec<String> = users
        .iter()
        .filter(|u| u.account_id != mallory)
        .map(|u| u.account_id.clone())
        .collect();
    jira_users_members.sort_by_key(|a| users.iter().position(|u| &u.account_id == a));
    let story_groups: [(&str, Vec<String>); 6] = [
        ("jira-users", jira_users_members),
        ("jira-admins", vec![admin.clone()]),
        (
            "engineering",
            vec![alice.clone(), bob.clone(), carol.clone(), ivan.clone()],
        ),
        ("security-team", vec![carol.clone(), dave.clone()]),
        ("ops-team", vec![erin.clone()]),
        ("service-desk-agents", vec![mallory.clone(), judy.clone()]),
    ];
    for (name, members) in story_groups {
        groups.push(Group {
            group_id: uuid_like(&mut rng),
            name: name.into(),
            members,
        });
    }
    const GROUP_WORDS: [&str; 12] = [
        "frontend", "backend", "platform", "data", "design", "finance", "legal", "sales",
        "support", "mobile", "qa", "growth",
    ];
    for i in 6..n_groups {
        let want = extra_users.len().min(rng.gen_range(3..12));
        let mut members: Vec<String> = extra_users
            .choose_multiple(&mut rng, want)
            .cloned()
            .collect();
        if rng.gen_bool(0.3) {
            members.push(
                pick(
                    &mut rng,
                    &[alice.clone(), bob.clone(), dave.clone(), judy.clone()],
                )
                .clone(),
            );
        }
        groups.push(Group {
            group_id: uuid_like(&mut rng),
            name: format!("team-{}-{}", GROUP_WORDS[i % GROUP_WORDS.len()], i),
            members,
        });
    }
    let gid = |name: &str| -> String {
        groups
            .iter()
            .find(|g| g.name == name)
            .map(|g| g.group_id.clone())
            .unwrap_or_default()
    };
    let (g_users, g_admins, g_eng, g_sec, g_ops, g_sd) = (
        gid("jira-users"),
        gid("jira-admins"),
        gid("engineering"),
        gid("security-team"),
        gid("ops-team"),
        gid("service-desk-agents"),
    );

    let application_roles = vec![
        ApplicationRole {
            key: APP_SOFTWARE.into(),
            name: "Jira Software".into(),
            group_ids: vec![g_users.clone(), g_admins.clone()],
            default_group_ids: vec![g_users.clone()],
        },
        ApplicationRole {
            key: APP_SERVICEDESK.into(),
            name: "Jira Service Management".into(),
            group_ids: vec![g_sd.clone()],
            default_group_ids: vec![g_sd.clone()],
        },
    ];
    let project_roles = vec![
        ProjectRoleDef {
            id: ROLE_USERS.into(),
            name: "Users".into(),
            description: "A project role that represents users in a project".into(),
        },
        ProjectRoleDef {
            id: ROLE_DEVELOPERS.into(),
            name: "Developers".into(),
            description: "A project role that represents developers in a project".into(),
        },
        ProjectRoleDef {
            id: ROLE_ADMINISTRATORS.into(),
            name: "Administrators".into(),
            description: "A project role that represents administrators in a project".into(),
        },
    ];
    let custom_fields = vec![
        CustomField {
            id: CF_USER_PICKER.into(),
            name: "Stakeholders".into(),
            kind: "user".into(),
        },
        CustomField {
            id: CF_GROUP_PICKER.into(),
            name: "Owning teams".into(),
            kind: "group".into(),
        },
    ];

    // ---- schemes
    let mut permission_schemes: Vec<PermissionScheme> = Vec::new();
    let mut grant_seq = 10100u64;
    let mut make_scheme = |id: u64, name: String, browse: Vec<Holder>| -> PermissionScheme {
        let mut grants = Vec::new();
        let mut push = |permission: &str, holder: Holder, grants: &mut Vec<PermissionGrant>| {
            grants.push(PermissionGrant {
                id: grant_seq.to_string(),
                permission: permission.into(),
                holder,
            });
            grant_seq += 1;
        };
        for h in &browse {
            push("BROWSE_PROJECTS", h.clone(), &mut grants);
        }
        for h in &browse {
            push("CREATE_ISSUES", h.clone(), &mut grants);
            push("ADD_COMMENTS", h.clone(), &mut grants);
        }
        push(
            "ADMINISTER_PROJECTS",
            Holder::ProjectRole {
                role_id: ROLE_ADMINISTRATORS.into(),
            },
            &mut grants,
        );
        push(
            "EDIT_ISSUES",
            Holder::ProjectRole {
                role_id: ROLE_DEVELOPERS.into(),
            },
            &mut grants,
        );
        push("ASSIGN_ISSUES", Holder::ProjectLead, &mut grants);
        push(
            "SET_ISSUE_SECURITY",
            Holder::Group {
                group_id: g_admins.clone(),
            },
            &mut grants,
        );
        PermissionScheme {
            id: id.to_string(),
            name,
            description: "Generated permission scheme".into(),
            grants,
        }
    };

    let security_schemes = vec![
        IssueSecurityScheme {
            id: "10000".into(),
            name: "ENG Security Scheme".into(),
            description: "Restricts sensitive engineering issues".into(),
            default_level_id: None,
            levels: vec![SecurityLevel {
                id: "10100".into(),
                name: "Security-Restricted".into(),
                description: "Only the security team and the reporter".into(),
                members: vec![
                    SecurityLevelMember {
                        id: "10200".into(),
                        holder: Holder::Group {
                            group_id: g_sec.clone(),
                        },
                    },
                    SecurityLevelMember {
                        id: "10201".into(),
                        holder: Holder::Reporter,
                    },
                ],
            }],
        },
        IssueSecurityScheme {
            id: "10001".into(),
            name: "Extended Security Scheme".into(),
            description: "Levels covering every holder type".into(),
            default_level_id: None,
            levels: vec![
                SecurityLevel {
                    id: "10101".into(),
                    name: "Internal".into(),
                    description: "Developers, the assignee and stakeholders".into(),
                    members: vec![
                        SecurityLevelMember {
                            id: "10210".into(),
                            holder: Holder::ProjectRole {
                                role_id: ROLE_DEVELOPERS.into(),
                            },
                        },
                        SecurityLevelMember {
                            id: "10211".into(),
                            holder: Holder::Assignee,
                        },
                        SecurityLevelMember {
                            id: "10212".into(),
                            holder: Holder::UserCustomField {
                                field_id: CF_USER_PICKER.into(),
                            },
                        },
                    ],
                },
                SecurityLevel {
                    id: "10102".into(),
                    name: "Confidential".into(),
                    description: "The lead, Dave, owning teams and service desk agents".into(),
                    members: vec![
                        SecurityLevelMember {
                            id: "10220".into(),
                            holder: Holder::ProjectLead,
                        },
                        SecurityLevelMember {
                            id: "10221".into(),
                            holder: Holder::User {
                                account_id: dave.clone(),
                            },
                        },
                        SecurityLevelMember {
                            id: "10222".into(),
                            holder: Holder::GroupCustomField {
                                field_id: CF_GROUP_PICKER.into(),
                            },
                        },
                        SecurityLevelMember {
                            id: "10223".into(),
                            holder: Holder::ApplicationRole {
                                key: Some(APP_SERVICEDESK.into()),
                            },
                        },
                    ],
                },
            ],
        },
    ];

    // ---- projects
    let mut projects = Vec::with_capacity(n_projects);
    // Candidate reporters/assignees/commenters per project.
    let mut people: Vec<Vec<String>> = Vec::with_capacity(n_projects);
    let mut kinds: Vec<Option<ExtraKind>> = Vec::with_capacity(n_projects);
    let roles_default = |admin_actor: Vec<RoleActor>, dev: Vec<RoleActor>| {
        let mut m = BTreeMap::new();
        m.insert(ROLE_ADMINISTRATORS.to_string(), admin_actor);
        m.insert(ROLE_DEVELOPERS.to_string(), dev);
        m.insert(
            ROLE_USERS.to_string(),
            vec![RoleActor::Group {
                group_id: g_users.clone(),
            }],
        );
        m
    };
    let classic = |id: u64,
                   key: &str,
                   name: &str,
                   lead: &str,
                   scheme: String,
                   roles: BTreeMap<String, Vec<RoleActor>>| Project {
        id: id.to_string(),
        key: key.into(),
        name: name.into(),
        project_type_key: "software".into(),
        style: "classic".into(),
        is_private: false,
        archived: false,
        lead_account_id: lead.into(),
        permission_scheme_id: Some(scheme),
        security_scheme_id: None,
        access_level: None,
        role_actors: roles,
    };
    // ENG
    permission_schemes.push(make_scheme(
        10000,
        "ENG Permission Scheme".into(),
        vec![Holder::Group {
            group_id: g_eng.clone(),
        }],
    ));
    let mut eng = classic(
        10000,
        "ENG",
        "Engineering",
        &alice,
        "10000".into(),
        roles_default(
            vec![RoleActor::User {
                account_id: alice.clone(),
            }],
            vec![RoleActor::User {
                account_id: bob.clone(),
            }],
        ),
    );
    eng.security_scheme_id = Some("10000".into());
    projects.push(eng);
    people.push(vec![
        alice.clone(),
        bob.clone(),
        carol.clone(),
        ivan.clone(),
    ]);
    kinds.push(None);
    // OPS
    permission_schemes.push(make_scheme(
        10001,
        "OPS Permission Scheme".into(),
        vec![Holder::ProjectRole {
            role_id: ROLE_DEVELOPERS.into(),
        }],
    ));
    projects.push(classic(
        10001,
        "OPS",
        "Operations",
        &erin,
        "10001".into(),
        roles_default(
            vec![RoleActor::User {
                account_id: erin.clone(),
            }],
            vec![
                RoleActor::User {
                    account_id: frank.clone(),
                },
                RoleActor::Group {
                    group_id: g_ops.clone(),
                },
            ],
        ),
    ));
    people.push(vec![erin.clone(), frank.clone()]);
    kinds.push(None);
    // HR
    permission_schemes.push(make_scheme(
        10002,
        "HR Permission Scheme".into(),
        vec![Holder::User {
            account_id: grace.clone(),
        }],
    ));
    projects.push(classic(
        10002,
        "HR",
        "People Operations",
        &grace,
        "10002".into(),
        roles_default(
            vec![RoleActor::User {
                account_id: grace.clone(),
            }],
            vec![],
        ),
    ));
    people.push(vec![grace.clone()]);
    kinds.push(None);
    // PUB
    permission_schemes.push(make_scheme(
        10003,
        "Public Permission Scheme".into(),
        vec![Holder::Anyone],
    ));
    let mut public_help = classic(
        10003,
        "PUB",
        "Public Help",
        &judy,
        "10003".into(),
        roles_default(
            vec![RoleActor::User {
                account_id: judy.clone(),
            }],
            vec![RoleActor::Group {
                group_id: g_eng.clone(),
            }],
        ),
    );
    // A Jira Service Management project: its comments may be internal.
    public_help.project_type_key = "service_desk".into();
    projects.push(public_help);
    people.push(vec![
        judy.clone(),
        alice.clone(),
        heidi.clone(),
        dave.clone(),
        erin.clone(),
        bob.clone(),
    ]);
    kinds.push(None);

    for i in 4..n_projects {
        let kind = EXTRA_KINDS[(i - 4) % EXTRA_KINDS.len()];
        let round = (i - 4) / EXTRA_KEYS.len();
        let key = if round == 0 {
            EXTRA_KEYS[(i - 4) % EXTRA_KEYS.len()].to_string()
        } else {
            format!("{}{}", EXTRA_KEYS[(i - 4) % EXTRA_KEYS.len()], round + 1)
        };
        let name = if round == 0 {
            EXTRA_NAMES[(i - 4) % EXTRA_NAMES.len()].to_string()
        } else {
            format!("{} {}", EXTRA_NAMES[(i - 4) % EXTRA_NAMES.len()], round + 1)
        };
        let mut crowd: Vec<String> = extra_users
            .choose_multiple(&mut rng, extra_users.len().min(8))
            .cloned()
            .collect();
        crowd.push(
            pick(
                &mut rng,
                &[
                    alice.clone(),
                    bob.clone(),
                    dave.clone(),
                    judy.clone(),
                    frank.clone(),
                ],
            )
            .clone(),
        );
        let lead = crowd[0].clone();
        let pid = 10000 + i as u64;
        let dev_group = groups[6 + (i % (n_groups - 6).max(1))].group_id.clone();
        let dev_group = if n_groups > 6 {
            dev_group
        } else {
            g_eng.clone()
        };
        let roles = roles_default(
            vec![RoleActor::User {
                account_id: lead.clone(),
            }],
            vec![
                RoleActor::Group {
                    group_id: dev_group.clone(),
                },
                RoleActor::User {
                    account_id: crowd[1 % crowd.len()].clone(),
                },
            ],
        );
        let browse = match kind {
            ExtraKind::AppRoleSoftware => vec![Holder::ApplicationRole {
                key: Some(APP_SOFTWARE.into()),
            }],
            ExtraKind::AppRoleAny => vec![Holder::ApplicationRole { key: None }],
            ExtraKind::AppRoleServiceDesk => vec![Holder::ApplicationRole {
                key: Some(APP_SERVICEDESK.into()),
            }],
            ExtraKind::ProjectLead => vec![
                Holder::ProjectLead,
                Holder::ProjectRole {
                    role_id: ROLE_ADMINISTRATORS.into(),
                },
            ],
            ExtraKind::Reporter => vec![Holder::Reporter],
            ExtraKind::Assignee => vec![
                Holder::Assignee,
                Holder::Group {
                    group_id: dev_group.clone(),
                },
            ],
            ExtraKind::UserCustomField => vec![Holder::UserCustomField {
                field_id: CF_USER_PICKER.into(),
            }],
            ExtraKind::GroupCustomField => vec![Holder::GroupCustomField {
                field_id: CF_GROUP_PICKER.into(),
            }],
            ExtraKind::Archived => vec![Holder::Group {
                group_id: g_eng.clone(),
            }],
            ExtraKind::GroupWithSecurity => vec![
                Holder::Group {
                    group_id: dev_group.clone(),
                },
                Holder::ProjectRole {
                    role_id: ROLE_DEVELOPERS.into(),
                },
            ],
            ExtraKind::TeamOpen | ExtraKind::TeamPrivate => vec![],
        };
        let mut project = classic(pid, &key, &name, &lead, String::new(), roles);
        match kind {
            ExtraKind::TeamOpen | ExtraKind::TeamPrivate => {
                project.style = "next-gen".into();
                project.permission_scheme_id = None;
                let private = kind == ExtraKind::TeamPrivate;
                project.is_private = private;
                project.access_level = Some(if private { "private" } else { "open" }.into());
                project.project_type_key = if private {
                    "business".into()
                } else {
                    "software".into()
                };
            }
            _ => {
                let sid = 10000 + i as u64;
                permission_schemes.push(make_scheme(
                    sid,
                    format!("{name} Permission Scheme"),
                    browse,
                ));
                project.permission_scheme_id = Some(sid.to_string());
                if matches!(
                    kind,
                    ExtraKind::GroupWithSecurity | ExtraKind::AppRoleSoftware | ExtraKind::Assignee
                ) {
                    project.security_scheme_id = Some("10001".into());
                }
                if kind == ExtraKind::Archived {
                    project.archived = true;
                }
                if kind == ExtraKind::AppRoleServiceDesk {
                    project.project_type_key = "service_desk".into();
                    crowd.push(mallory.clone());
                }
            }
        }
        projects.push(project);
        people.push(crowd);
        kinds.push(Some(kind));
    }

    // ---- issues
    let start = epoch_start();
    let span_ms: i64 = 300 * 24 * 3600 * 1000;
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
        let (summary, subject) = tx.summary(&mut rng);
        let description = tx.description(&mut rng, marker);
        let description_text = description.plain_text();
        let crowd = &people[pidx];
        let mut reporter = pick(&mut rng, crowd).clone();
        let assignee = if rng.gen_bool(0.8) {
            Some(pick(&mut rng, crowd).clone())
        } else {
            None
        };
        let mut security_level_id = None;
        if pidx == 0 && rng.gen_bool(0.25) {
            security_level_id = Some("10100".to_string());
            // Bob reports about half the restricted issues (security via reporter).
            if rng.gen_bool(0.5) {
                reporter = bob.clone();
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
                .map(|_| pick(&mut rng, crowd).clone())
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
            let author = pick(&mut rng, crowd).clone();
            let mention = if rng.gen_bool(0.15) {
                let who = pick(&mut rng, crowd);
                users
                    .iter()
                    .find(|u| &u.account_id == who)
                    .map(|u| (u.account_id.clone(), u.display_name.clone()))
            } else {
                None
            };
            let body = tx.comment(
                &mut rng,
                mention.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
            );
            let visibility =
                comment_visibility(&mut rng, pidx, &kinds[pidx], &groups, &g_eng, &g_sec);
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
        let (status, status_category) = *pick(&mut rng, &STATUSES);
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
            priority: pick(&mut rng, &PRIORITIES).to_string(),
            issue_type: pick(&mut rng, &ISSUE_TYPES).to_string(),
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

    plant_comment_markers(&mut rng, &mut issues, &projects);
    ensure_description_markers(&mut rng, &mut issues, &projects);
    // Attachments draw from their own stream, so adding them changed nothing above.
    let mut next_attachment_id = 9_000_000u64;
    attach_files(cfg.seed, &mut issues, &mut next_attachment_id);
    // Every tenth description also uses every ADF node and mark type.
    for issue in issues.iter_mut().step_by(10) {
        issue.description.blocks.push(Block::Showcase {
            key: issue.key.clone(),
        });
        let text = crate::rich::showcase(&issue.key).1;
        issue.description_text.push_str("\n\n");
        issue.description_text.push_str(&text);
    }

    // Non-human accounts every real site has: an app (no email, never a person) and a
    // service-desk customer (portal only, no product access). Added last, with fixed
    // ids, so nothing generated above changes.
    users.push(User {
        account_id: "557058:0a0a0a0a-app0-4000-8000-automation01".into(),
        account_type: "app".into(),
        email: String::new(),
        email_visible: false,
        display_name: "Automation for Jira".into(),
        active: true,
        time_zone: "UTC".into(),
    });
    users.push(User {
        account_id: "qm:0c0c0c0c-cust-4000-8000-customer0001".into(),
        account_type: "customer".into(),
        email: "customer.one@client.example".into(),
        email_visible: true,
        display_name: "Customer One".into(),
        active: true,
        time_zone: "UTC".into(),
    });

    // Everything below draws from its own stream and comes after what the generator
    // always made, so the issues above stay as they were.
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x5AB7_A5C5);
    users.extend(late_accounts());
    let (trent, peggy, victor) = (
        ACCOUNT_TRENT.to_string(),
        ACCOUNT_PEGGY.to_string(),
        ACCOUNT_VICTOR.to_string(),
    );
    // Trent and Peggy: in groups with BROWSE grants and role actors, no application
    // role. Victor: a Jira administrator with product access and no project role.
    let add = |groups: &mut Vec<Group>, group_id: &str, account: &str| {
        if let Some(g) = groups.iter_mut().find(|g| g.group_id == group_id)
            && !g.members.iter().any(|m| m == account)
        {
            g.members.push(account.to_string());
        }
    };
    add(&mut groups, &g_eng, &trent);
    add(&mut groups, &g_ops, &trent);
    add(&mut groups, &g_sec, &peggy);
    add(&mut groups, &g_ops, &peggy);
    add(&mut groups, &g_users, &victor);
    add(&mut groups, &g_admins, &victor);
    if let Some(team) = groups.get(6).map(|g| g.group_id.clone()) {
        add(&mut groups, &team, &trent);
    }
    if let Some(ops) = projects.iter_mut().find(|p| p.key == "OPS") {
        ops.role_actors
            .entry(ROLE_DEVELOPERS.to_string())
            .or_default()
            .push(RoleActor::User {
                account_id: peggy.clone(),
            });
    }
    // Internal comments in service projects.
    mark_internal_comments(&mut rng, &mut issues, &projects);
    // A private team-managed project that only its role holders (and Jira
    // administrators) browse.
    let lab = private_lab_project(10000 + projects.len() as u64, &carol, &trent, &g_sec);
    let lab_crowd = vec![carol.clone(), dave.clone(), carol.clone()];
    let n_lab = (n_issues / 50).max(6);
    for n in 0..n_lab {
        let topic = &TOPICS[rng.gen_range(0..TOPICS.len())];
        let tx = Texter { topic };
        let (summary, subject) = tx.summary(&mut rng);
        let description = tx.description(&mut rng, n == 0);
        let created = add_ms(start, rng.gen_range(0..span_ms));
        let mut updated = add_ms(created, rng.gen_range(0..5 * 24 * 3600 * 1000));
        let mut comments = Vec::new();
        let mut t = add_ms(created, rng.gen_range(60_000..3_600_000));
        for _ in 0..rng.gen_range(0..3) {
            let body = tx.comment(&mut rng, None);
            let visibility = rng.gen_bool(0.3).then(|| CommentVisibility::Role {
                role_id: ROLE_ADMINISTRATORS.into(),
                name: "Administrators".into(),
            });
            comments.push(Comment {
                id: next_id.to_string(),
                author_account_id: pick(&mut rng, &lab_crowd).clone(),
                body_text: body.plain_text(),
                body,
                created: t,
                updated: t,
                visibility,
                internal: false,
            });
            next_id += 1;
            updated = updated.max(t);
            t = add_ms(t, rng.gen_range(60_000..24 * 3600 * 1000));
        }
        let (status, status_category) = *pick(&mut rng, &STATUSES);
        issues.push(Issue {
            id: next_id.to_string(),
            key: format!("{}-{}", lab.key, n + 1),
            project_id: lab.id.clone(),
            summary,
            description_text: description.plain_text(),
            description,
            status: status.into(),
            status_category: status_category.into(),
            priority: pick(&mut rng, &PRIORITIES).to_string(),
            issue_type: pick(&mut rng, &ISSUE_TYPES).to_string(),
            labels: vec![],
            reporter_account_id: Some(pick(&mut rng, &lab_crowd).clone()),
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
        next_id += 1;
    }
    projects.push(lab);
    people.push(lab_crowd);
    // Sub-tasks, some under parents with a security level.
    add_subtasks(
        &mut rng,
        &mut issues,
        &projects,
        &people,
        &mut next_id,
        n_issues,
    );

    Workspace {
        seed: cfg.seed,
        admin_email: ADMIN_EMAIL.into(),
        admin_api_token: ADMIN_API_TOKEN.into(),
        admin_account_id: admin,
        users,
        groups,
        application_roles,
        project_roles,
        projects,
        permission_schemes,
        security_schemes,
        custom_fields,
        issues,
        audit_records: Vec::new(),
        next_id,
        administer_jira_group_ids: vec![g_admins],
        connector_administers_jira: true,
        forbidden_endpoints: Vec::new(),
    }
}

/// Trent: member of engineering and ops-team (groups with BROWSE grants and role
/// actors) without any application role.
pub const ACCOUNT_TRENT: &str = "5f3e2a1b0c9d8e7f6a5b4c3d";
/// Peggy: security-team and ops-team member, OPS Developers user actor, no
/// application role.
pub const ACCOUNT_PEGGY: &str = "6a4f3b2c1d0e9f8a7b6c5d4e";
/// Victor: holds *Administer Jira* (jira-admins) and product access, no project role.
pub const ACCOUNT_VICTOR: &str = "7b5a4c3d2e1f0a9b8c7d6e5f";
/// An app account that shows Grace's email (a mail handler set up with her address).
pub const ACCOUNT_MAIL_APP: &str = "557058:0b0b0b0b-app1-4000-8000-mailhandler1";
/// Key of the private team-managed project every preset has.
pub const LAB_KEY: &str = "LAB";

/// The accounts added after the generated ones (fixed ids): people without product
/// access, a Jira administrator, an app showing a person's email, more customers.
fn late_accounts() -> Vec<User> {
    let person = |id: &str, name: &str, local: &str| User {
        account_id: id.into(),
        account_type: "atlassian".into(),
        email: format!("{local}@example.com"),
        email_visible: true,
        display_name: name.into(),
        active: true,
        time_zone: "UTC".into(),
    };
    let other = |id: &str, kind: &str, name: &str, email: &str, visible: bool| User {
        account_id: id.into(),
        account_type: kind.into(),
        email: email.into(),
        email_visible: visible,
        display_name: name.into(),
        active: true,
        time_zone: "UTC".into(),
    };
    vec![
        person(ACCOUNT_TRENT, "Trent Walker", "trent"),
        person(ACCOUNT_PEGGY, "Peggy Olsen", "peggy"),
        person(ACCOUNT_VICTOR, "Victor Hale", "victor"),
        other(
            ACCOUNT_MAIL_APP,
            "app",
            "Mail Handler",
            "grace@example.com",
            true,
        ),
        other(
            "qm:0c0c0c0c-cust-4000-8000-customer0002",
            "customer",
            "Customer Two",
            "customer.two@client.example",
            true,
        ),
        other(
            "qm:0c0c0c0c-cust-4000-8000-customer0003",
            "customer",
            "Customer Three",
            "customer.three@client.example",
            false,
        ),
    ]
}

/// The private team-managed project: Carol administers it, Trent (no product access)
/// and the security team are its developers; no Users role actor.
fn private_lab_project(id: u64, carol: &str, trent: &str, g_sec: &str) -> Project {
    let mut roles = BTreeMap::new();
    roles.insert(
        ROLE_ADMINISTRATORS.to_string(),
        vec![RoleActor::User {
            account_id: carol.into(),
        }],
    );
    roles.insert(
        ROLE_DEVELOPERS.to_string(),
        vec![
            RoleActor::User {
                account_id: trent.into(),
            },
            RoleActor::Group {
                group_id: g_sec.into(),
            },
        ],
    );
    roles.insert(ROLE_USERS.to_string(), vec![]);
    Project {
        id: id.to_string(),
        key: LAB_KEY.into(),
        name: "Research Lab".into(),
        project_type_key: "software".into(),
        style: "next-gen".into(),
        is_private: true,
        archived: false,
        lead_account_id: carol.into(),
        permission_scheme_id: None,
        security_scheme_id: None,
        access_level: Some("private".into()),
        role_actors: roles,
    }
}

/// Makes about a quarter of the unrestricted comments of service projects internal
/// (Jira Service Management), at least one per service project that has comments, and
/// makes sure an internal comment carries [`MARKER_IN_COMMENT`].
fn mark_internal_comments(rng: &mut ChaCha8Rng, issues: &mut [Issue], projects: &[Project]) {
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
/// level; its description carries [`MARKER_IN_DESCRIPTION`]), then under others. A
/// sub-task is created after its parent, in the parent's project, by people of it.
fn add_subtasks(
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

fn comment_visibility(
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

/// Plants the comment marker in ~10% of issues, making sure restricted and unrestricted
/// comments both carry it.
fn plant_comment_markers(rng: &mut ChaCha8Rng, issues: &mut [Issue], projects: &[Project]) {
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
fn ensure_description_markers(rng: &mut ChaCha8Rng, issues: &mut [Issue], projects: &[Project]) {
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

/// Attachment kinds in the order the generator hands them out: every kind, the
/// damaged and oversized ones rarer.
const ATTACHMENT_CYCLE: [AttachmentKind; 14] = [
    AttachmentKind::Pdf,
    AttachmentKind::Text,
    AttachmentKind::Html,
    AttachmentKind::Docx,
    AttachmentKind::Png,
    AttachmentKind::Csv,
    AttachmentKind::Json,
    AttachmentKind::Xlsx,
    AttachmentKind::Pptx,
    AttachmentKind::Pdf,
    AttachmentKind::CorruptPdf,
    AttachmentKind::Docx,
    AttachmentKind::TruncatedDocx,
    AttachmentKind::Huge,
];

/// Attaches files to about one issue in eight (at least a full cycle of kinds on any
/// preset with 100+ issues); the files' text restates the issue and, for one file in
/// four, carries [`MARKER_IN_ATTACHMENT`].
fn attach_files(seed: u64, issues: &mut [Issue], next_id: &mut u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xA77A_C4ED);
    let mut n = 0usize;
    for issue in issues.iter_mut() {
        if !rng.gen_bool(0.125) {
            continue;
        }
        for _ in 0..rng.gen_range(1..=2) {
            let kind = ATTACHMENT_CYCLE[n % ATTACHMENT_CYCLE.len()];
            let marker = if n.is_multiple_of(4) {
                format!(" The {MARKER_IN_ATTACHMENT} checklist is attached.")
            } else {
                String::new()
            };
            let text = format!(
                "Notes for {}. {}. Steps and findings recorded by the team.{marker}",
                issue.key, issue.summary
            );
            let ext = match kind {
                AttachmentKind::Pdf | AttachmentKind::CorruptPdf => "pdf",
                AttachmentKind::Html => "html",
                AttachmentKind::Docx | AttachmentKind::TruncatedDocx => "docx",
                AttachmentKind::Xlsx => "xlsx",
                AttachmentKind::Pptx => "pptx",
                AttachmentKind::Csv => "csv",
                AttachmentKind::Json => "json",
                AttachmentKind::Text => "txt",
                AttachmentKind::Png => "png",
                AttachmentKind::Huge => "log",
            };
            let author = issue.reporter_account_id.clone().unwrap_or_default();
            let created = issue.created + Duration::minutes(rng.gen_range(1..600));
            issue.attachments.push(Attachment::new(
                next_id.to_string(),
                format!("{}-{}.{ext}", issue.key.to_lowercase(), n),
                author,
                created.min(issue.updated),
                kind,
                text,
            ));
            *next_id += 1;
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skeleton_is_deterministic() {
        let a = generate(&GenConfig::skeleton(7));
        let b = generate(&GenConfig::skeleton(7));
        assert_eq!(
            serde_json::to_string(&a).ok(),
            serde_json::to_string(&b).ok()
        );
        let c = generate(&GenConfig::skeleton(8));
        assert_ne!(a.users[1].account_id, c.users[1].account_id);
    }

    #[test]
    fn skeleton_has_required_shape() {
        let ws = generate(&GenConfig::skeleton(1));
        // 12 story people, an app and a service-desk customer, then Trent, Peggy and
        // Victor, an app showing Grace's email and two more customers.
        assert_eq!(ws.users.len(), 20);
        let types: Vec<&str> = ws.users.iter().map(|u| u.account_type.as_str()).collect();
        assert!(types.contains(&"app") && types.contains(&"customer"));
        let kinds: std::collections::BTreeSet<_> = ws
            .issues
            .iter()
            .flat_map(|i| i.attachments.iter().map(|a| a.kind))
            .map(|k| format!("{k:?}"))
            .collect();
        assert_eq!(kinds.len(), 12, "every attachment kind: {kinds:?}");
        // `issues` counts the issues of the configured projects; sub-tasks and the
        // private LAB project's issues come on top.
        let lab = ws.project_by_id_or_key(LAB_KEY).expect("LAB").id.clone();
        assert_eq!(
            ws.issues
                .iter()
                .filter(|i| !i.is_subtask() && i.project_id != lab)
                .count(),
            200
        );
        assert!(ws.users.iter().any(|u| !u.email_visible));
        assert!(ws.users.iter().any(|u| !u.active));
        let keys: Vec<&str> = ws.projects.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["ENG", "OPS", "HR", "PUB", LAB_KEY]);
        assert!(
            ws.projects
                .iter()
                .all(|p| !p.archived && (p.style == "classic") == (p.key != LAB_KEY))
        );
        let secured = ws
            .issues
            .iter()
            .filter(|i| i.security_level_id.is_some())
            .count();
        assert!(secured >= 5, "secured issues: {secured}");
        let desc_marked = ws
            .issues
            .iter()
            .filter(|i| i.description_text.contains(MARKER_IN_DESCRIPTION))
            .count();
        assert!(
            (15..=50).contains(&desc_marked),
            "description markers: {desc_marked}"
        );
        for p in &ws.projects {
            assert!(ws.issues.iter().any(
                |i| i.project_id == p.id && i.description_text.contains(MARKER_IN_DESCRIPTION)
            ));
        }
        // Markers only where they belong.
        for i in &ws.issues {
            assert!(
                !i.summary.contains(MARKER_IN_DESCRIPTION)
                    && !i.summary.contains(MARKER_IN_COMMENT)
            );
            assert!(!i.description_text.contains(MARKER_IN_COMMENT));
            for c in &i.comments {
                assert!(!c.body_text.contains(MARKER_IN_DESCRIPTION));
                assert!(c.created >= i.created && c.created <= i.updated);
            }
            assert_eq!(i.description_text, i.description.plain_text());
        }
        let comment_marked: Vec<&Comment> = ws
            .issues
            .iter()
            .flat_map(|i| &i.comments)
            .filter(|c| c.body_text.contains(MARKER_IN_COMMENT))
            .collect();
        assert!(comment_marked.iter().any(|c| c.visibility.is_some()));
        assert!(comment_marked.iter().any(|c| c.visibility.is_none()));
        let restricted_role = ws
            .issues
            .iter()
            .flat_map(|i| &i.comments)
            .any(|c| matches!(c.visibility, Some(CommentVisibility::Role { .. })));
        let restricted_group = ws
            .issues
            .iter()
            .flat_map(|i| &i.comments)
            .any(|c| matches!(c.visibility, Some(CommentVisibility::Group { .. })));
        assert!(restricted_role && restricted_group);
    }

    #[test]
    fn small_preset_covers_kinds() {
        let ws = generate(&GenConfig::small(3));
        let lab = ws.project_by_id_or_key(LAB_KEY).expect("LAB").id.clone();
        assert_eq!(
            ws.issues
                .iter()
                .filter(|i| !i.is_subtask() && i.project_id != lab)
                .count(),
            1000
        );
        assert!(ws.projects.iter().any(|p| p.archived));
        assert!(
            ws.projects
                .iter()
                .any(|p| p.is_team_managed() && p.is_private)
        );
        let mut types: std::collections::BTreeSet<&str> = Default::default();
        for s in &ws.permission_schemes {
            for g in &s.grants {
                if g.permission == "BROWSE_PROJECTS" {
                    types.insert(g.holder.type_name());
                }
            }
        }
        for t in [
            "anyone",
            "applicationRole",
            "group",
            "user",
            "projectRole",
            "projectLead",
            "reporter",
            "assignee",
            "userCustomField",
            "groupCustomField",
        ] {
            assert!(types.contains(t), "missing holder type {t}");
        }
        assert!(ws.issues.iter().any(|i| i.comments.len() > 20));
    }
}
