//! The error type of deepskip-runs.

use std::path::PathBuf;

/// Everything that can go wrong reading or writing a run directory's records.
#[derive(Debug, thiserror::Error)]
pub enum RunsError {
    /// An I/O operation on `path` failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A JSON record (or one line of `metrics.jsonl`, 1-based) does not hold what its type says.
    #[error("{path}{}: invalid JSON ({source}); the file may be corrupt: remove the run directory or write the run elsewhere", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Json {
        path: PathBuf,
        line: Option<usize>,
        #[source]
        source: serde_json::Error,
    },
}

impl RunsError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }

    pub(crate) fn json(path: impl Into<PathBuf>) -> impl FnOnce(serde_json::Error) -> Self {
        let path = path.into();
        move |source| Self::Json {
            path,
            line: None,
            source,
        }
    }

    /// The path the error concerns.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Self::Io { path, .. } | Self::Json { path, .. } => path,
        }
    }
}

impl From<deepskip_atomic_write::AtomicWriteError> for RunsError {
    fn from(e: deepskip_atomic_write::AtomicWriteError) -> Self {
        Self::Io {
            path: e.path,
            source: e.source,
        }
    }
}
