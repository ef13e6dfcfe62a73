//! deepskip-atomic-write.
#![doc = include_str!("../README.md")]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The suffix of a file being written, before it is renamed into place.
const TEMP_SUFFIX: &str = ".tmp";

/// A file could not be replaced; `path` is the file concerned (the target or its temp file).
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct AtomicWriteError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Replaces `path` with `bytes` atomically, creating its directory when needed.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), AtomicWriteError> {
    write_with(path, |tmp| {
        let mut file = fs::File::create(tmp)?;
        file.write_all(bytes)
    })
    .map(drop)
}

/// Replaces `path` with what `fill` writes to the temp path it is given (for writers that want
/// a path, such as libtorch's safetensors or `fs::copy`). Returns the size of the new file.
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&Path) -> std::io::Result<()>,
) -> Result<u64, AtomicWriteError> {
    let dir = parent_dir(path);
    fs::create_dir_all(dir).map_err(at(dir))?;
    let tmp = temp_path(path);
    let written = fill(&tmp).and_then(|()| sync_file(&tmp));
    let bytes = match written.and_then(|bytes| fs::rename(&tmp, path).map(|()| bytes)) {
        Ok(bytes) => bytes,
        Err(source) => {
            // The temp file is ours; leaving it would litter the directory.
            let _ = fs::remove_file(&tmp);
            return Err(AtomicWriteError { path: tmp, source });
        }
    };
    sync_dir(dir)?;
    Ok(bytes)
}

/// `<path>.tmp`: where a new version of `path` is written before the rename.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(TEMP_SUFFIX);
    path.with_file_name(name)
}

/// Whether a file name is a temp file of this writer (left behind by a killed process).
pub fn is_temp_name(name: &str) -> bool {
    name.ends_with(TEMP_SUFFIX)
}

fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Flushes the file to disk and returns its size.
fn sync_file(path: &Path) -> std::io::Result<u64> {
    let file = fs::File::options().write(true).open(path)?;
    file.sync_all()?;
    Ok(file.metadata()?.len())
}

/// Makes the rename durable. Where a directory cannot be opened (some platforms), the rename
/// is still atomic, only not yet durable: that is not an error.
fn sync_dir(dir: &Path) -> Result<(), AtomicWriteError> {
    match fs::File::open(dir) {
        Ok(handle) => handle.sync_all().map_err(at(dir)),
        Err(_) => Ok(()),
    }
}

fn at(path: &Path) -> impl FnOnce(std::io::Error) -> AtomicWriteError + '_ {
    move |source| AtomicWriteError {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/out.txt");
        write(&path, b"one").unwrap();
        write(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path().join("sub")).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    /// A writer killed between writing its temp file and the rename: the old file is intact,
    /// and what is left over is recognisably a temp file.
    #[test]
    fn a_crash_before_the_rename_leaves_the_old_file_intact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("status.json");
        write(&path, b"{\"old\": true}").unwrap();
        let crash = write_with(&path, |tmp| {
            fs::write(tmp, b"{\"new\": tr")?;
            // The process "dies" here: the rename never happens.
            Err(std::io::Error::other("killed"))
        });
        assert!(crash.is_err());
        assert_eq!(fs::read(&path).unwrap(), b"{\"old\": true}");
        assert!(
            !temp_path(&path).exists(),
            "the failed temp file is removed"
        );

        // A real kill cannot clean up: the temp file stays, the target is still the old one.
        fs::write(temp_path(&path), b"{\"new\": tr").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{\"old\": true}");
        assert!(is_temp_name("status.json.tmp"));
        assert!(!is_temp_name("status.json"));
    }

    #[test]
    fn write_with_reports_the_size_of_the_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("copy.bin");
        let bytes = write_with(&path, |tmp| fs::write(tmp, [7u8; 42])).unwrap();
        assert_eq!(bytes, 42);
        assert_eq!(fs::read(&path).unwrap(), [7u8; 42]);
    }
}
