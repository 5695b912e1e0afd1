//! Opening the search index a config names: the keyword index in the data directory,
//! and the vectors beside it or on a Qdrant server.

use std::sync::Arc;

use config::{Config, DataDir};
use index::{Embedder, SearchIndex};

use crate::error::SearchError;

/// Opens the search index of a config: the keyword index in the data directory, and
/// the vectors embedded beside it or, when `[vectors.qdrant]` is set and an embedder is
/// given, on the Qdrant server.
pub fn open_index(
    cfg: &Config,
    embedder: Option<Arc<Embedder>>,
) -> Result<SearchIndex, SearchError> {
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
