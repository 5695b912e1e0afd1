//! Changing the config file from the admin console. Owns the file's JSON Schema
//! (generated from the config types with `schemars`; committed as
//! `schemas/config.schema.json`), validation of a file's text (the schema first, for
//! errors that name the key, then [`Config::validate`]), and the edit itself: only
//! the settings that changed are rewritten, with `toml_edit`, so comments, order and
//! layout stay; the result is validated before it replaces the file atomically (a
//! temporary file in the same directory, fsync, rename, fsync of the directory) with
//! the file's permissions kept. A file that would not validate is never written.
//!
//! The console may change the sync filters (`[filters]`), what is indexed
//! (`[indexing]`) and the schedule (`serve.sync_interval_minutes`); the rest of the
//! file is left as it is.

use std::path::Path;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::{ConfigError, FileError, SaveError};
use crate::model::Config;

/// The config file's JSON Schema.
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Config)).unwrap_or_default()
}

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| jsonschema::validator_for(&schema()).expect("the generated schema compiles"))
}

/// Checks config text against the JSON Schema and then [`Config::validate`]; the
/// error lists each violation with the key it is at.
pub fn validate_text(text: &str) -> Result<Config, ConfigError> {
    let bad = |detail: String| ConfigError::new("config", detail);
    let value: toml::Value = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
    let json = serde_json::to_value(&value).map_err(|e| bad(e.to_string()))?;
    let errors: Vec<String> = validator()
        .iter_errors(&json)
        .take(10)
        .map(|e| {
            let at = e.instance_path.to_string();
            let key = at.trim_start_matches('/').replace('/', ".");
            if key.is_empty() {
                format!("{e}")
            } else {
                format!("{key}: {e}")
            }
        })
        .collect();
    if !errors.is_empty() {
        return Err(bad(format!(
            "the config does not match its JSON Schema: {}",
            errors.join("; ")
        )));
    }
    Config::parse(text)
}

/// One setting the console changed (values as TOML; `(unset)` when absent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingChange {
    /// Dotted key, e.g. `filters.projects_not_in`.
    pub key: String,
    /// The value before, as TOML.
    pub before: String,
    /// The value after, as TOML.
    pub after: String,
}

/// The settings the console may change: dotted key → value (absent: unset).
fn editable(cfg: &Config) -> Vec<(String, Option<toml::Value>)> {
    let mut out = Vec::new();
    for (table, value) in [
        ("filters", toml::Value::try_from(&cfg.filters)),
        ("indexing", toml::Value::try_from(&cfg.indexing)),
    ] {
        let Ok(toml::Value::Table(t)) = value else {
            continue;
        };
        let names: Vec<&str> = match table {
            "filters" => vec![
                "projects_in",
                "projects_not_in",
                "created_from",
                "created_before",
                "updated_from",
            ],
            _ => vec![
                "issues",
                "comments",
                "attachments",
                "attachment_max_bytes",
                "attachment_types",
            ],
        };
        for name in names {
            out.push((format!("{table}.{name}"), t.get(name).cloned()));
        }
    }
    out.push((
        "serve.sync_interval_minutes".into(),
        Some(toml::Value::Integer(
            i64::try_from(cfg.serve.sync_interval_minutes).unwrap_or(i64::MAX),
        )),
    ));
    out
}

fn shown(v: &Option<toml::Value>) -> String {
    v.as_ref()
        .map(|v| v.to_string())
        .unwrap_or_else(|| "(unset)".into())
}

/// The console-editable settings that differ between two configs.
pub fn changes(current: &Config, candidate: &Config) -> Vec<SettingChange> {
    editable(current)
        .into_iter()
        .zip(editable(candidate))
        .filter(|((_, a), (_, b))| a != b)
        .map(|((key, a), (_, b))| SettingChange {
            key,
            before: shown(&a),
            after: shown(&b),
        })
        .collect()
}

/// Writes the console-editable settings of `candidate` that differ from `current`
/// into the config file at `path` (comments and layout kept), after validating the
/// result; returns what changed (nothing written when nothing did). The file's
/// other settings, including any edited by hand since it was loaded, stay as they
/// are.
pub fn save_settings(
    path: &Path,
    current: &Config,
    candidate: &Config,
) -> Result<Vec<SettingChange>, SaveError> {
    let changed = changes(current, candidate);
    if changed.is_empty() {
        return Ok(changed);
    }
    let text = std::fs::read_to_string(path).map_err(FileError::io(path))?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| ConfigError::new(path.display().to_string(), format!("{e}")))?;
    let wanted: std::collections::HashMap<String, Option<toml::Value>> =
        editable(candidate).into_iter().collect();
    for change in &changed {
        let (table, name) = change.key.split_once('.').unwrap_or(("", &change.key));
        set_key(
            &mut doc,
            table,
            name,
            wanted.get(&change.key).cloned().flatten(),
        )?;
    }
    let new_text = doc.to_string();
    validate_text(&new_text).map_err(|e| e.prefixed("not saved: "))?;
    let mode = file_mode(path);
    crate::files::write_bytes_atomic(path, new_text.as_bytes(), mode)?;
    Ok(changed)
}

#[cfg(unix)]
fn file_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn file_mode(_: &Path) -> Option<u32> {
    None
}

/// Sets (or removes, for `None`) `table.name`, keeping the key's comments and the
/// value's trailing comment.
fn set_key(
    doc: &mut toml_edit::DocumentMut,
    table: &str,
    name: &str,
    value: Option<toml::Value>,
) -> Result<(), ConfigError> {
    let entry = doc
        .entry(table)
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()));
    let Some(t) = entry.as_table_like_mut() else {
        return Err(
            ConfigError::new(table, "is not a table in the config file").fix("fix it by hand")
        );
    };
    let Some(value) = value else {
        t.remove(name);
        return Ok(());
    };
    let mut new: toml_edit::Value =
        value
            .to_string()
            .parse()
            .map_err(|e: toml_edit::TomlError| {
                ConfigError::new(format!("{table}.{name}"), e.to_string())
            })?;
    match t.get_mut(name) {
        // In place: the key (and the comments above it) stays.
        Some(item) => {
            if let Some(old) = item.as_value() {
                *new.decor_mut() = old.decor().clone();
            }
            *item = toml_edit::Item::Value(new);
        }
        None => {
            t.insert(name, toml_edit::Item::Value(new));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"# The site.
[jira]
base_url = "https://example.atlassian.net"
email = "bot@example.com"
api_token_env = "JIRA_API_TOKEN"

# What is synced.
[filters]
# Only these projects.
projects_in = ["ENG"] # engineering only
updated_from = "2024-01-01"

[serve]
sync_interval_minutes = 60 # hourly
"#;

    #[test]
    fn the_committed_schema_is_the_generated_one() {
        // `UPDATE_SCHEMAS=1 cargo test -p config schema` rewrites the committed file.
        if std::env::var_os("UPDATE_SCHEMAS").is_some() {
            let path = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../schemas/config.schema.json"
            );
            let text = serde_json::to_string_pretty(&schema()).unwrap() + "\n";
            std::fs::write(path, text).unwrap();
            return;
        }
        let committed: serde_json::Value =
            serde_json::from_str(include_str!("../../../schemas/config.schema.json")).unwrap();
        assert_eq!(
            committed,
            schema(),
            "schemas/config.schema.json is stale: run `cargo run -p cli -- config schema > schemas/config.schema.json`"
        );
    }

    #[test]
    fn the_schema_accepts_the_example_and_names_bad_keys() {
        validate_text(include_str!("../../../config/jira-index.example.toml")).unwrap();
        validate_text(FILE).unwrap();
        let err = validate_text(&FILE.replace(
            "sync_interval_minutes = 60",
            "sync_interval_minutes = \"often\"",
        ))
        .unwrap_err();
        assert!(
            err.to_string().contains("serve.sync_interval_minutes"),
            "{err}"
        );
        let err = validate_text(&format!("{FILE}\n[indexing]\ncomment = false\n")).unwrap_err();
        assert!(err.to_string().contains("comment"), "{err}");
    }

    #[test]
    fn saving_changes_only_what_changed_and_keeps_comments() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jira-index.toml");
        std::fs::write(&path, FILE).unwrap();
        let current = Config::load(&path).unwrap();
        let mut candidate = current.clone();
        candidate.filters.projects_in = vec!["ENG".into(), "OPS".into()];
        candidate.filters.updated_from = None;
        candidate.filters.projects_not_in = vec!["HR".into()];
        candidate.indexing.attachments = false;
        candidate.serve.sync_interval_minutes = 15;
        let changed = save_settings(&path, &current, &candidate).unwrap();
        let keys: Vec<&str> = changed.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "filters.projects_in",
                "filters.projects_not_in",
                "filters.updated_from",
                "indexing.attachments",
                "serve.sync_interval_minutes"
            ]
        );
        assert_eq!(changed[2].before, "\"2024-01-01\"");
        assert_eq!(changed[2].after, "(unset)");
        let text = std::fs::read_to_string(&path).unwrap();
        for kept in [
            "# The site.",
            "# What is synced.",
            "# Only these projects.",
            "# engineering only",
            "# hourly",
        ] {
            assert!(text.contains(kept), "{kept} lost:\n{text}");
        }
        assert!(
            text.contains(r#"projects_in = ["ENG", "OPS"] # engineering only"#),
            "{text}"
        );
        assert!(!text.contains("updated_from"), "{text}");
        let saved = Config::load(&path).unwrap();
        assert_eq!(saved.filters, candidate.filters);
        assert_eq!(saved.indexing, candidate.indexing);
        assert_eq!(saved.serve.sync_interval_minutes, 15);
        // Nothing changed: nothing written.
        let before = std::fs::metadata(&path).unwrap().modified().unwrap();
        assert!(save_settings(&path, &saved, &saved).unwrap().is_empty());
        assert_eq!(
            std::fs::metadata(&path).unwrap().modified().unwrap(),
            before
        );
    }

    #[test]
    fn an_invalid_result_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jira-index.toml");
        std::fs::write(&path, FILE).unwrap();
        let current = Config::load(&path).unwrap();
        let mut candidate = current.clone();
        candidate.filters.created_from = Some("2024-05-01".into());
        candidate.filters.created_before = Some("2024-01-01".into());
        let err = save_settings(&path, &current, &candidate).unwrap_err();
        assert!(err.to_string().contains("not saved"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), FILE);
    }
}
