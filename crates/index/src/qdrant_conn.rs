//! One connection to a Qdrant server or cluster (`qdrant-client`, gRPC) driven from
//! synchronous code: the client lives on its own small tokio runtime, each call is
//! spawned there and the caller's thread waits on a channel. That works from plain
//! threads, blocking tasks and inside async code alike (the index is used from all
//! three). Shared by the vector store on a server ([`crate::QdrantServerStore`]) and
//! the whole index on a cluster ([`crate::ClusterIndex`]).

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use qdrant_client::Qdrant;
use qdrant_client::qdrant::{Condition, WriteOrdering, WriteOrderingType};

use crate::error::IndexError;
use crate::server_store::QdrantServerConfig;

/// A client and the runtime it runs on.
pub(crate) struct Conn {
    pub(crate) client: Qdrant,
    /// Always `Some` until dropped (taken to shut it down without blocking).
    runtime: Option<tokio::runtime::Runtime>,
    pub(crate) url: String,
}

impl Conn {
    /// Connects to the server of `cfg` (the configuration is validated first).
    pub(crate) fn connect(cfg: &QdrantServerConfig) -> Result<Self, IndexError> {
        cfg.validate()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("qdrant-client")
            .enable_all()
            .build()
            .map_err(|e| IndexError::Invalid(format!("qdrant client runtime: {e}")))?;
        let client = {
            let _guard = runtime.enter();
            Qdrant::from_url(&cfg.url)
                .api_key(cfg.api_key.clone())
                .timeout(Duration::from_secs(cfg.timeout_secs))
                .skip_compatibility_check()
                .build()
                .map_err(|e| qdrant_err(&cfg.url, "connecting", e))?
        };
        Ok(Conn {
            client,
            runtime: Some(runtime),
            url: cfg.url.clone(),
        })
    }

    /// Runs a future on the connection's runtime and waits for it.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, IndexError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| IndexError::Invalid("qdrant client is shut down".into()))?;
        runtime.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv()
            .map_err(|_| IndexError::Invalid("qdrant client task ended without an answer".into()))
    }

    /// Runs a client call (given the client) and maps its error with `context`.
    pub(crate) fn call<T, F, Fut>(&self, context: &str, f: F) -> Result<T, IndexError>
    where
        T: Send + 'static,
        F: FnOnce(Qdrant) -> Fut,
        Fut: Future<Output = Result<T, qdrant_client::QdrantError>> + Send + 'static,
    {
        self.run(f(self.client.clone()))?
            .map_err(|e| qdrant_err(&self.url, context, e))
    }
}

impl Drop for Conn {
    /// The runtime is shut down in the background: dropping a store inside async code
    /// (e.g. at the end of a sync) must not block.
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// An error of a call to the server at `url`.
pub(crate) fn qdrant_err(url: &str, context: &str, e: qdrant_client::QdrantError) -> IndexError {
    IndexError::Vector {
        path: PathBuf::from(url),
        context: context.to_string(),
        message: e.to_string(),
    }
}

/// The point id of a chunk (UUID v5 of its chunk id, as in the embedded store).
pub(crate) fn point_uuid(chunk_id: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, chunk_id.as_bytes()).to_string()
}

/// Strong ordering: a write is applied in the same order on every replica.
pub(crate) fn ordering() -> WriteOrdering {
    WriteOrdering {
        r#type: WriteOrderingType::Strong as i32,
    }
}

/// `key` matches any of `values`.
pub(crate) fn any_of(key: &str, values: impl IntoIterator<Item = String>) -> Condition {
    Condition::matches(key, values.into_iter().collect::<Vec<String>>())
}

/// The permission filter (the three gates, each "match any" of the principals) and
/// the narrowing filters, as conditions that must all hold.
pub(crate) fn gate_conditions(
    principals: &[String],
    filters: &crate::types::SearchFilters,
) -> Vec<Condition> {
    let tags = || principals.iter().cloned();
    let mut conditions = vec![
        any_of("acl_project", tags()),
        any_of("acl_issue", tags()),
        any_of("acl_comment", tags()),
    ];
    if !filters.project_keys.is_empty() {
        conditions.push(any_of("project_key", filters.project_keys.iter().cloned()));
    }
    if !filters.kinds.is_empty() {
        conditions.push(any_of(
            "kind",
            filters.kinds.iter().map(|k| k.as_str().to_string()),
        ));
    }
    conditions
}
