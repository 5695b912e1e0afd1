//! jira-index's configuration: the config file (`jira-index.toml`) as typed tables
//! with their defaults (`model`), its loading and validation (`load`), the `[serve]`
//! table (`serve`), the edits the admin console makes to the file (`editable`), the
//! data directory's layout (`data_dir`) and the atomically written files in it
//! (`files`).
//!
//! Architecture invariant: this crate reads the environment (secrets named by the
//! file) and files, and never the network; every invalid value is a [`ConfigError`]
//! naming its key. Everything above it (sync, search, serve, the CLI) takes a
//! validated [`Config`].

#![warn(missing_docs)]

pub mod data_dir;
pub mod editable;
pub mod error;
pub mod files;
mod load;
pub mod model;
pub mod scale;
pub mod serve;

pub use data_dir::DataDir;
pub use error::{ConfigError, FileError, SaveError};
pub use files::{read_json, write_bytes_atomic, write_json_atomic};
pub use model::{
    ChunkingConfig, Config, DataConfig, EmbeddingConfig, IdentityConfig, IndexingConfig,
    JiraConfig, NotDownloaded, OAuthAppConfig, SyncFilters, VectorsConfig,
};
pub use scale::{IndexBackend, IndexConfig, StateConfig};
pub use serve::{ApiKeyConfig, Scope, ServeConfig, TrustedProxyConfig};
