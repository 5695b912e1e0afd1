//! The [`KeywordIndex`] handle: the tantivy index, its reader, the lazily opened
//! writer, the query parser and the permission-filter cache; opening (or creating)
//! the index on disk, reloading and counting. Writing, querying, reading and
//! statistics live in the sibling modules as further `impl` blocks.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tantivy::directory::MmapDirectory;
use tantivy::query::QueryParser;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy};

use super::schema::{Fields, schema};
use crate::acl_filter::AclFilterCache;
use crate::error::IndexError;

/// Extra weight of the title over the body.
const TITLE_BOOST: f32 = 2.0;

/// tantivy index of chunks.
pub struct KeywordIndex {
    pub(super) path: PathBuf,
    pub(super) index: Index,
    pub(super) fields: Fields,
    pub(super) reader: IndexReader,
    /// Created on the first write, so read-only users never take tantivy's writer lock.
    pub(super) writer: Mutex<Option<IndexWriter>>,
    pub(super) parser: QueryParser,
    pub(super) acl_cache: AclFilterCache,
}

impl std::fmt::Debug for KeywordIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeywordIndex")
            .field("path", &self.path)
            .finish()
    }
}

impl KeywordIndex {
    /// Opens (or creates) the index in `dir` (the `keyword` folder itself).
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir).map_err(|e| IndexError::io(dir, e))?;
        let err = |context: &str| {
            let path = dir.to_path_buf();
            let context = context.to_string();
            move |source| IndexError::Keyword {
                path,
                context,
                source,
            }
        };
        let (schema, fields) = schema();
        let directory = MmapDirectory::open(dir).map_err(|e| IndexError::Keyword {
            path: dir.to_path_buf(),
            context: "opening directory".into(),
            source: e.into(),
        })?;
        let index = Index::open_or_create(directory, schema).map_err(|e| {
            let context = if matches!(e, tantivy::TantivyError::SchemaError(_)) {
                "opening index: it was built by a jira-index version with other fields; \
                 move the data directory aside and sync again"
            } else {
                "opening index"
            };
            err(context)(e)
        })?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(err("opening reader"))?;
        let mut parser = QueryParser::for_index(&index, vec![fields.title, fields.text]);
        parser.set_field_boost(fields.title, TITLE_BOOST);
        Ok(KeywordIndex {
            path: dir.to_path_buf(),
            index,
            fields,
            reader,
            writer: Mutex::new(None),
            parser,
            acl_cache: AclFilterCache::default(),
        })
    }

    /// Maps a tantivy error to [`IndexError::Keyword`] with this index's path and `context`.
    pub(super) fn err(
        &self,
        context: impl Into<String>,
    ) -> impl FnOnce(tantivy::TantivyError) -> IndexError {
        let path = self.path.clone();
        let context = context.into();
        move |source| IndexError::Keyword {
            path,
            context,
            source,
        }
    }

    /// Re-reads the newest commit (for a process that only reads).
    pub fn reload(&self) -> Result<(), IndexError> {
        self.reader.reload().map_err(self.err("reloading reader"))
    }

    /// Number of committed chunks.
    pub fn count(&self) -> usize {
        usize::try_from(self.reader.searcher().num_docs()).unwrap_or(usize::MAX)
    }
}
