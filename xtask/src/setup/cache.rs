//! Where the provisioned libtorch lives in the user cache, and its READY marker.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::TORCH_VERSION;

/// Paths of the cached torch install: `<cache>/deepskip/torch-<version>/{venv, READY}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheLayout {
    pub root: PathBuf,
}

impl CacheLayout {
    /// The layout under the user cache directory of this process's environment.
    pub fn from_env() -> Result<Self> {
        let cache = user_cache_dir(std::env::var_os("XDG_CACHE_HOME"), std::env::var_os("HOME"))?;
        Ok(Self::under(&cache))
    }

    pub fn under(cache_dir: &Path) -> Self {
        Self {
            root: cache_dir
                .join("deepskip")
                .join(format!("torch-{TORCH_VERSION}")),
        }
    }

    pub fn venv(&self) -> PathBuf {
        self.root.join("venv")
    }

    pub fn python(&self) -> PathBuf {
        self.venv().join("bin").join("python")
    }

    /// Written only after the import check passed; holds the torch directory (LIBTORCH).
    pub fn marker(&self) -> PathBuf {
        self.root.join("READY")
    }
}

/// `$XDG_CACHE_HOME`, else `$HOME/.cache`. The XDG spec says relative values are to be ignored.
pub fn user_cache_dir(xdg_cache_home: Option<OsString>, home: Option<OsString>) -> Result<PathBuf> {
    if let Some(xdg) = xdg_cache_home.map(PathBuf::from) {
        if xdg.is_absolute() {
            return Ok(xdg);
        }
    }
    match home.map(PathBuf::from) {
        Some(home) if home.is_absolute() => Ok(home.join(".cache")),
        _ => bail!(
            "cannot locate a cache directory for libtorch: neither XDG_CACHE_HOME nor HOME is an \
             absolute path; set XDG_CACHE_HOME=/some/writable/dir (or DEEPSKIP_LIBTORCH=<libtorch dir>)"
        ),
    }
}

/// What the marker file says about the cached install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkerState {
    Missing,
    /// The marker names a directory that still looks like libtorch.
    Ready(PathBuf),
    /// A marker exists but its directory is gone or incomplete (e.g. the venv was deleted).
    Stale(String),
}

pub fn read_marker(layout: &CacheLayout) -> MarkerState {
    let text = match fs::read_to_string(layout.marker()) {
        Ok(text) => text,
        Err(_) => return MarkerState::Missing,
    };
    let dir = PathBuf::from(text.trim_end_matches('\n'));
    match check_libtorch_dir(&dir) {
        Ok(()) => MarkerState::Ready(dir),
        Err(problem) => MarkerState::Stale(format!("{problem:#}")),
    }
}

/// Records `torch_dir` as ready: a temp file renamed over the marker, so a reader never sees a
/// partial marker.
pub fn write_marker(layout: &CacheLayout, torch_dir: &Path) -> Result<()> {
    crate::cmd::write_atomic(&layout.marker(), &format!("{}\n", torch_dir.display()))
}

/// Removed before any step that modifies the venv, so an interrupted step is never trusted.
pub fn clear_marker(layout: &CacheLayout) -> Result<()> {
    match fs::remove_file(layout.marker()) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            Err(err).with_context(|| format!("removing {}", layout.marker().display()))
        }
        _ => Ok(()),
    }
}

/// A libtorch directory as torch-sys wants it: `include/torch` and `lib/libtorch.so`.
pub fn check_libtorch_dir(dir: &Path) -> Result<()> {
    let header_dir = dir.join("include").join("torch");
    let library = dir.join("lib").join(libtorch_file_name());
    if !header_dir.is_dir() {
        bail!(
            "{} is not a libtorch directory: {} is missing",
            dir.display(),
            header_dir.display()
        );
    }
    if !library.is_file() {
        bail!(
            "{} is not a libtorch directory: {} is missing",
            dir.display(),
            library.display()
        );
    }
    Ok(())
}

fn libtorch_file_name() -> &'static str {
    if cfg!(target_os = "macos") {
        "libtorch.dylib"
    } else {
        "libtorch.so"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdg_cache_home_wins_when_absolute() {
        let dir = user_cache_dir(Some("/xdg".into()), Some("/home/u".into())).unwrap();
        assert_eq!(dir, PathBuf::from("/xdg"));
    }

    #[test]
    fn relative_xdg_cache_home_is_ignored() {
        let dir = user_cache_dir(Some("rel/cache".into()), Some("/home/u".into())).unwrap();
        assert_eq!(dir, PathBuf::from("/home/u/.cache"));
    }

    #[test]
    fn falls_back_to_home_cache() {
        let dir = user_cache_dir(None, Some("/home/u".into())).unwrap();
        assert_eq!(dir, PathBuf::from("/home/u/.cache"));
    }

    #[test]
    fn no_cache_dir_is_an_error_naming_the_fix() {
        let err = user_cache_dir(None, None).unwrap_err().to_string();
        assert!(err.contains("XDG_CACHE_HOME"), "{err}");
    }

    #[test]
    fn layout_is_versioned_under_deepskip() {
        let layout = CacheLayout::under(Path::new("/c"));
        assert_eq!(layout.root, PathBuf::from("/c/deepskip/torch-2.11.0"));
        assert_eq!(
            layout.python(),
            PathBuf::from("/c/deepskip/torch-2.11.0/venv/bin/python")
        );
        assert_eq!(
            layout.marker(),
            PathBuf::from("/c/deepskip/torch-2.11.0/READY")
        );
    }

    fn fake_libtorch(dir: &Path) {
        fs::create_dir_all(dir.join("include/torch")).unwrap();
        fs::create_dir_all(dir.join("lib")).unwrap();
        fs::write(dir.join("lib").join(libtorch_file_name()), b"").unwrap();
    }

    #[test]
    fn marker_round_trips_and_is_cleared() {
        let tmp = tempfile::tempdir().unwrap();
        let layout = CacheLayout::under(tmp.path());
        fs::create_dir_all(&layout.root).unwrap();
        let torch = tmp.path().join("torch");
        fake_libtorch(&torch);

        assert_eq!(read_marker(&layout), MarkerState::Missing);
        write_marker(&layout, &torch).unwrap();
        assert_eq!(read_marker(&layout), MarkerState::Ready(torch));
        assert!(!layout.marker().with_extension("tmp").exists());
        clear_marker(&layout).unwrap();
        assert_eq!(read_marker(&layout), MarkerState::Missing);
        clear_marker(&layout).unwrap();
    }

    #[test]
    fn marker_pointing_at_a_deleted_dir_is_stale() {
        let tmp = tempfile::tempdir().unwrap();
        let layout = CacheLayout::under(tmp.path());
        fs::create_dir_all(&layout.root).unwrap();
        write_marker(&layout, &tmp.path().join("gone")).unwrap();
        assert!(
            matches!(read_marker(&layout), MarkerState::Stale(reason) if reason.contains("gone"))
        );
    }
}
