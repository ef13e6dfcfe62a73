//! Extraction of `.tar.gz` archives that refuses entries escaping the target directory:
//! absolute paths, `..` components and links that point outside.

use crate::DataError;
use flate2::read::GzDecoder;
use std::fs::File;
use std::path::{Component, Path, PathBuf};
use tar::{Archive, EntryType};

/// Extracts `archive` (gzip-compressed tar) into `target` after checking every entry; nothing
/// is written when any entry is unsafe. Returns the extracted entry paths (relative).
pub fn extract_tar_gz(archive: &Path, target: &Path) -> Result<Vec<PathBuf>, DataError> {
    // First pass: check everything before writing anything.
    let entries = for_each_entry(archive, |entry| check_entry(archive, entry))?;
    std::fs::create_dir_all(target).map_err(|e| DataError::io(target, e))?;
    for_each_entry(archive, |mut entry| {
        let path = entry_path(archive, &entry)?;
        let written = entry
            .unpack_in(target)
            .map_err(|e| DataError::io(target.join(&path), e))?;
        if !written {
            return Err(unsafe_entry(archive, &path, "tar refused to write it"));
        }
        Ok(path)
    })?;
    Ok(entries)
}

fn for_each_entry<T>(
    archive: &Path,
    mut visit: impl FnMut(tar::Entry<'_, GzDecoder<File>>) -> Result<T, DataError>,
) -> Result<Vec<T>, DataError> {
    let file = File::open(archive).map_err(|e| DataError::io(archive, e))?;
    let mut tar = Archive::new(GzDecoder::new(file));
    let broken =
        |e: std::io::Error| DataError::format(archive, format!("not a readable .tar.gz ({e})"));
    let mut out = Vec::new();
    for entry in tar.entries().map_err(broken)? {
        out.push(visit(entry.map_err(broken)?)?);
    }
    Ok(out)
}

fn entry_path(
    archive: &Path,
    entry: &tar::Entry<'_, GzDecoder<File>>,
) -> Result<PathBuf, DataError> {
    entry
        .path()
        .map(|p| p.into_owned())
        .map_err(|e| DataError::format(archive, format!("entry with an unreadable path ({e})")))
}

fn check_entry(
    archive: &Path,
    entry: tar::Entry<'_, GzDecoder<File>>,
) -> Result<PathBuf, DataError> {
    let path = entry_path(archive, &entry)?;
    if !stays_inside(Path::new(""), &path) {
        let reason = if path.has_root() {
            "absolute path"
        } else {
            "`..` leaves the target directory"
        };
        return Err(unsafe_entry(archive, &path, reason));
    }
    let kind = entry.header().entry_type();
    if matches!(kind, EntryType::Symlink | EntryType::Link) {
        let link = entry
            .link_name()
            .ok()
            .flatten()
            .ok_or_else(|| unsafe_entry(archive, &path, "link without a readable target"))?;
        // Symbolic links resolve from the link's directory, hard links from the archive root.
        let base = match kind {
            EntryType::Symlink => path.parent().unwrap_or(Path::new("")).to_path_buf(),
            _ => PathBuf::new(),
        };
        if !stays_inside(&base, &link) {
            return Err(unsafe_entry(
                archive,
                &path,
                &format!(
                    "link to {} points outside the target directory",
                    link.display()
                ),
            ));
        }
    }
    Ok(path)
}

/// Whether `base/relative`, resolved lexically, stays within the root `base` is relative to.
fn stays_inside(base: &Path, relative: &Path) -> bool {
    let mut depth = base
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .count();
    for component in relative.components() {
        match component {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir if depth > 0 => depth -= 1,
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

fn unsafe_entry(archive: &Path, entry: &Path, reason: &str) -> DataError {
    DataError::UnsafeArchive {
        archive: archive.to_path_buf(),
        entry: entry.display().to_string(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_containment() {
        assert!(stays_inside(Path::new(""), Path::new("a/b/../c")));
        assert!(!stays_inside(Path::new(""), Path::new("a/../../c")));
        assert!(!stays_inside(Path::new(""), Path::new("/etc/passwd")));
        assert!(stays_inside(Path::new("a/b"), Path::new("../c")));
        assert!(!stays_inside(Path::new("a"), Path::new("../../c")));
    }
}
