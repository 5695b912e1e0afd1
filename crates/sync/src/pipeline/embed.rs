//! The embed stage: changed issues' documents in, batches with their vectors out.
//! Issues are gathered until a batch holds [`EMBED_BATCH_CHUNKS`] chunks (an issue
//! is never split across batches); the embedder sorts a batch's texts by length.
//! Without an embedder (keyword-only index) batches pass on without vectors.

use std::sync::Arc;

use index::Embedder;
use tokio::sync::mpsc;

use crate::documents::IssueDocuments;
use crate::error::SyncError;
use crate::progress::{ProgressSink, Stage, report};
use crate::stages::embed_batch;

/// Chunks per embedding batch (issues are never split across batches).
const EMBED_BATCH_CHUNKS: usize = 1024;

/// A batch of issues and, with an embedder, one vector per chunk in order.
pub(crate) type Embedded = (Vec<IssueDocuments>, Option<Vec<Vec<f32>>>);

/// Starts the embed stage on the document stage's channel.
pub(crate) fn spawn(
    embedder: Option<Arc<Embedder>>,
    docs: mpsc::Receiver<IssueDocuments>,
    progress: Option<ProgressSink>,
) -> (
    mpsc::Receiver<Embedded>,
    tokio::task::JoinHandle<Result<(), SyncError>>,
) {
    let (tx, rx) = mpsc::channel(2);
    (rx, tokio::spawn(run(embedder, docs, tx, progress)))
}

async fn run(
    embedder: Option<Arc<Embedder>>,
    mut docs: mpsc::Receiver<IssueDocuments>,
    tx: mpsc::Sender<Embedded>,
    progress: Option<ProgressSink>,
) -> Result<(), SyncError> {
    let mut batch: Vec<IssueDocuments> = Vec::new();
    let mut chunks = 0usize;
    let mut embedded = 0u64;
    loop {
        let next = docs.recv().await;
        let done = next.is_none();
        if let Some(item) = next {
            chunks += item.docs.len();
            batch.push(item);
        }
        if (chunks >= EMBED_BATCH_CHUNKS || done) && !batch.is_empty() {
            let issues = std::mem::take(&mut batch);
            chunks = 0;
            let vectors = embed_batch(embedder.as_ref(), &issues).await?;
            embedded += issues.iter().map(|i| i.docs.len() as u64).sum::<u64>();
            report(&progress, Stage::Embed, embedded, None);
            if tx.send((issues, vectors)).await.is_err() {
                break;
            }
        }
        if done {
            break;
        }
    }
    Ok(())
}
