//! Keeps the keyword index and the vector store consistent across crashes.
//!
//! The two stores commit separately (vectors flushed, then tantivy committed), and the
//! vector store's own log makes its writes durable before ours. So before the first
//! write that touches an issue (or a chunk) after a commit, its id is appended to
//! `<index>/pending.log` and fsynced; a successful commit empties the log. A process
//! that opens the index and finds the log non-empty crashed in between: for every
//! logged issue it deletes all chunks in both stores (and every logged chunk), commits,
//! and adds the issue ids to `<index>/recovered.log`. No chunk is then searchable in
//! one store and missing from the other. The sync reads `recovered.log`, forgets those
//! issues in its state so that its next run fetches and indexes them again (nothing is
//! silently lost), and then clears it.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::IndexError;

/// What a pending entry names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Pending {
    /// Every chunk of the issue with this id.
    Issue(String),
    /// The chunk with this id.
    Chunk(String),
}

impl Pending {
    fn line(&self) -> String {
        match self {
            Pending::Issue(id) => format!("i {id}\n"),
            Pending::Chunk(id) => format!("c {id}\n"),
        }
    }

    fn parse(line: &str) -> Option<Self> {
        match line.split_once(' ')? {
            ("i", id) if !id.is_empty() => Some(Pending::Issue(id.to_string())),
            ("c", id) if !id.is_empty() => Some(Pending::Chunk(id.to_string())),
            _ => None,
        }
    }
}

/// The pending-write log of one index directory.
pub(crate) struct Journal {
    pending: PathBuf,
    recovered: PathBuf,
    /// Ids logged since the last commit (not logged twice).
    logged: Mutex<HashSet<Pending>>,
}

impl Journal {
    /// The journal of the index in `dir` (nothing is read or written yet).
    pub(crate) fn new(dir: &Path) -> Self {
        Journal {
            pending: dir.join("pending.log"),
            recovered: dir.join("recovered.log"),
            logged: Mutex::new(HashSet::new()),
        }
    }

    /// Entries left by a process that did not commit them.
    pub(crate) fn leftover(&self) -> Result<Vec<Pending>, IndexError> {
        match std::fs::read_to_string(&self.pending) {
            Ok(text) => Ok(text.lines().filter_map(Pending::parse).collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(IndexError::io(&self.pending, e)),
        }
    }

    /// Logs the entries not logged since the last commit, durably, before the write.
    pub(crate) fn log(&self, entries: impl IntoIterator<Item = Pending>) -> Result<(), IndexError> {
        let mut logged = self.logged.lock().unwrap_or_else(|e| e.into_inner());
        let new: Vec<Pending> = entries
            .into_iter()
            .filter(|e| !logged.contains(e))
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        let text: String = new.iter().map(Pending::line).collect();
        append_synced(&self.pending, &text)?;
        logged.extend(new);
        Ok(())
    }

    /// Everything logged is committed in both stores.
    pub(crate) fn committed(&self) -> Result<(), IndexError> {
        let mut logged = self.logged.lock().unwrap_or_else(|e| e.into_inner());
        if logged.is_empty() && !self.pending.exists() {
            return Ok(());
        }
        match std::fs::remove_file(&self.pending) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(IndexError::io(&self.pending, e)),
        }
        logged.clear();
        Ok(())
    }

    /// Adds repaired issue ids to the recovered list.
    pub(crate) fn add_recovered(&self, issue_ids: &[String]) -> Result<(), IndexError> {
        if issue_ids.is_empty() {
            return Ok(());
        }
        let text: String = issue_ids.iter().map(|id| format!("{id}\n")).collect();
        append_synced(&self.recovered, &text)
    }

    /// Issue ids removed by a recovery and not yet taken up by a sync.
    pub(crate) fn recovered(&self) -> Result<Vec<String>, IndexError> {
        match std::fs::read_to_string(&self.recovered) {
            Ok(text) => {
                let mut ids: Vec<String> = text
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect();
                ids.sort();
                ids.dedup();
                Ok(ids)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(IndexError::io(&self.recovered, e)),
        }
    }

    /// The sync has taken up the recovered issues.
    pub(crate) fn clear_recovered(&self) -> Result<(), IndexError> {
        match std::fs::remove_file(&self.recovered) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(IndexError::io(&self.recovered, e)),
        }
    }
}

fn append_synced(path: &Path, text: &str) -> Result<(), IndexError> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| IndexError::io(path, e))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_data())
        .map_err(|e| IndexError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_commit_and_recovered_lists() {
        let dir = tempfile::tempdir().expect("tempdir");
        let j = Journal::new(dir.path());
        assert!(j.leftover().expect("read").is_empty());
        j.log([
            Pending::Issue("1".into()),
            Pending::Chunk("comment:5:0".into()),
        ])
        .expect("log");
        j.log([Pending::Issue("1".into())]).expect("log again");
        let again = Journal::new(dir.path());
        assert_eq!(
            again.leftover().expect("read"),
            vec![
                Pending::Issue("1".into()),
                Pending::Chunk("comment:5:0".into())
            ]
        );
        j.committed().expect("commit");
        assert!(again.leftover().expect("read").is_empty());
        j.add_recovered(&["7".into(), "3".into(), "7".into()])
            .expect("recovered");
        assert_eq!(j.recovered().expect("read"), vec!["3", "7"]);
        j.clear_recovered().expect("clear");
        assert!(j.recovered().expect("read").is_empty());
    }
}
