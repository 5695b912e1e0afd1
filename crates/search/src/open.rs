//! Opening the search index a config names: the whole index on a Qdrant cluster
//! (`[index] backend = "qdrant"`), or the keyword index in the data directory with the
//! vectors beside it or on a Qdrant server.

use std::sync::Arc;

use config::{Config, DataDir};
use index::{Embedder, SearchIndex};

use crate::error::SearchError;

/// Opens the search index of a config. With `[index] backend = "qdrant"`, the whole
/// index (text, BM25, vectors, ACL tags) is one collection on the Qdrant server or
/// cluster and nothing is kept in the data directory. Otherwise the keyword index is
/// in the data directory, and the vectors beside it or, when `[vectors.qdrant]` is set
/// and an embedder is given, on the Qdrant server.
pub fn open_index(
    cfg: &Config,
    embedder: Option<Arc<Embedder>>,
) -> Result<SearchIndex, SearchError> {
    if let Some(server) = cfg.index.server()? {
        // The collection's dense vectors have the model's size even when this
        // process does not embed (a keyword-only search replica).
        let dim = embedder
            .as_ref()
            .map_or_else(|| cfg.embedding.model.native_dim(), |e| e.dim());
        let mut cluster = index::ClusterIndex::connect(&server, dim)?;
        if let Some(e) = &embedder {
            cluster = cluster.with_model(e.model().id());
        } else if cfg.embedding.enabled {
            cluster = cluster.with_model(cfg.embedding.model.id());
        }
        return Ok(SearchIndex::on_cluster(cluster, embedder));
    }
    let data = DataDir::new(&cfg.data.dir);
    data.ensure()?;
    let dir = data.index_dir();
    match (cfg.vectors.server()?, &embedder) {
        (Some(server), Some(e)) => {
            let store =
                index::QdrantServerStore::connect(&server, e.dim())?.with_model(e.model().id());
            Ok(SearchIndex::with_store(
                &dir,
                embedder,
                Some(Box::new(store)),
            )?)
        }
        _ => Ok(SearchIndex::open(&dir, embedder)?),
    }
}
