//! The data directory's layout (where the index, the identity snapshot, the state
//! database and the caches live) and its permissions: owner-only, since everything
//! in it is Jira content or derived from it.

use std::path::{Path, PathBuf};

use crate::error::FileError;

/// Paths inside the data directory.
#[derive(Clone, Debug)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The data directory at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// The search index (keyword index, embedded vectors, pending-write log).
    pub fn index_dir(&self) -> PathBuf {
        self.root.join("index")
    }
    /// The identity snapshot searches load (users, groups, roles, grants, levels).
    pub fn directory_file(&self) -> PathBuf {
        self.root.join("directory.json")
    }
    /// The state left by versions before the state database; imported once.
    pub fn state_file(&self) -> PathBuf {
        self.root.join("state.json")
    }
    /// The sync state database (the `state` crate's `StateStore`).
    pub fn state_db(&self) -> PathBuf {
        self.root.join("state.db")
    }
    /// Emails of callers no Jira account matched, as seen by searches.
    pub fn unmatched_callers_file(&self) -> PathBuf {
        self.root.join("unmatched-callers.json")
    }
    /// Creates the data directory, owner-only (0700), if it is missing; tightens the
    /// directory itself when others may enter it. Cheap: see [`DataDir::secure`] for
    /// the whole tree.
    pub fn ensure(&self) -> Result<(), FileError> {
        let io = |source| FileError::Io {
            path: self.root.display().to_string(),
            source,
        };
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&self.root).map_err(io)?;
        #[cfg(unix)]
        tighten(&self.root, true).map_err(io)?;
        Ok(())
    }

    /// Makes everything under the data directory owner-only: directories 0700, files
    /// 0600 (the index, vectors, attachment text cache and state hold Jira content
    /// that only the people Jira lets see it may read). Returns how many entries were
    /// tightened; symbolic links are not followed. Run at start-up and after a sync
    /// (the index libraries create files with the process umask).
    pub fn secure(&self) -> Result<usize, FileError> {
        self.ensure()?;
        #[cfg(unix)]
        {
            let mut fixed = 0usize;
            let mut stack = vec![self.root.clone()];
            while let Some(dir) = stack.pop() {
                let io = |source| FileError::Io {
                    path: dir.display().to_string(),
                    source,
                };
                if tighten(&dir, true).map_err(io)? {
                    fixed += 1;
                }
                for entry in std::fs::read_dir(&dir).map_err(io)? {
                    let entry = entry.map_err(io)?;
                    let kind = entry.file_type().map_err(io)?;
                    if kind.is_dir() {
                        stack.push(entry.path());
                    } else if kind.is_file() && tighten(&entry.path(), false).map_err(io)? {
                        fixed += 1;
                    }
                }
            }
            Ok(fixed)
        }
        #[cfg(not(unix))]
        Ok(0)
    }
}

/// Removes group and other permission bits (keeping the owner's, plus owner rwx on
/// directories); `true` when the mode changed.
#[cfg(unix)]
fn tighten(path: &Path, dir: bool) -> std::io::Result<bool> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::symlink_metadata(path)?.permissions().mode();
    let want = if dir {
        (mode & 0o700) | 0o700
    } else {
        (mode & 0o700) | 0o600
    } & 0o7777;
    if mode & 0o7777 == want {
        return Ok(false);
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(want))?;
    Ok(true)
}
