//! The words of generated issues: sentence pools, statuses, priorities and issue types,
//! and [`Texter`], which writes summaries, descriptions and comments about a topic.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::draw::pick;
use super::topics::{TOPICS, Topic};
use crate::model::{AdfDoc, Block, Inline, Issue, Mark, Subject};

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

pub(super) const DESC_MARKER_SENTENCES: [&str; 3] = [
    "Internal codename zephyrine was assigned to this work.",
    "The zephyrine rollout checklist applies here.",
    "Track this under the zephyrine initiative.",
];
pub(super) const COMMENT_MARKER_SENTENCES: [&str; 3] = [
    "Spotted a quokka in the staging fixtures again.",
    "The quokka test account shows the same behaviour.",
    "Renamed the flag to quokka so nobody confuses it with the old one.",
];

pub(super) const STATUSES: [(&str, &str); 5] = [
    ("To Do", "new"),
    ("Backlog", "new"),
    ("In Progress", "indeterminate"),
    ("In Review", "indeterminate"),
    ("Done", "done"),
];
pub(super) const PRIORITIES: [&str; 5] = ["Highest", "High", "Medium", "Low", "Lowest"];
pub(super) const ISSUE_TYPES: [&str; 4] = ["Bug", "Task", "Story", "Improvement"];

/// Writes text about one topic.
pub(super) struct Texter<'a> {
    pub(super) topic: &'a Topic,
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
    pub(super) fn summary(&self, rng: &mut ChaCha8Rng) -> (String, Subject) {
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

    pub(super) fn description(&self, rng: &mut ChaCha8Rng, marker: bool) -> AdfDoc {
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

    pub(super) fn comment(&self, rng: &mut ChaCha8Rng, mention: Option<(&str, &str)>) -> AdfDoc {
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

/// Appends the showcase of every ADF node and mark type to every tenth description.
pub(super) fn add_showcases(issues: &mut [Issue]) {
    for issue in issues.iter_mut().step_by(10) {
        issue.description.blocks.push(Block::Showcase {
            key: issue.key.clone(),
        });
        let text = crate::rich::showcase(&issue.key).1;
        issue.description_text.push_str("\n\n");
        issue.description_text.push_str(&text);
    }
}
