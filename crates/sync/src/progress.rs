//! Progress of a sync run, stage by stage, for people (bars) and machines (JSON
//! lines): the pipeline calls a [`ProgressSink`] with running counts; the caller
//! decides how to show them. No sink, no cost beyond a branch.

use std::sync::Arc;

use serde::Serialize;

/// A stage of the pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Users, groups, projects, roles, schemes (done = 1 when read).
    Identity,
    /// Issues read from Jira.
    Fetch,
    /// Issues turned into chunks (comments, attachments, ACL tags).
    Documents,
    /// Chunks embedded.
    Embed,
    /// Issues written to the index and recorded.
    Write,
}

impl Stage {
    /// Every stage, in pipeline order.
    pub const ALL: [Stage; 5] = [
        Stage::Identity,
        Stage::Fetch,
        Stage::Documents,
        Stage::Embed,
        Stage::Write,
    ];

    /// The stage's name in progress output.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Identity => "identity",
            Stage::Fetch => "fetch",
            Stage::Documents => "documents",
            Stage::Embed => "embed",
            Stage::Write => "write",
        }
    }
}

/// One progress report: the running count of a stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ProgressEvent {
    /// The stage.
    pub stage: Stage,
    /// Items done so far.
    pub done: u64,
    /// Known only for some stages (identity).
    pub total: Option<u64>,
}

/// Where progress goes; called from the pipeline's tasks, so it must be cheap.
#[derive(Clone)]
pub struct ProgressSink(Arc<dyn Fn(ProgressEvent) + Send + Sync>);

impl ProgressSink {
    /// A sink calling `f` with every event.
    pub fn new(f: impl Fn(ProgressEvent) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    pub(crate) fn report(&self, stage: Stage, done: u64, total: Option<u64>) {
        (self.0)(ProgressEvent { stage, done, total })
    }
}

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressSink")
    }
}

/// Reports through an optional sink.
pub(crate) fn report(sink: &Option<ProgressSink>, stage: Stage, done: u64, total: Option<u64>) {
    if let Some(s) = sink {
        s.report(stage, done, total);
    }
}
