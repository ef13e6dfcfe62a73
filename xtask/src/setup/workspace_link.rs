//! `<workspace>/.libtorch`: a symlink to the provisioned libtorch that `.cargo/config.toml`
//! names as `LIBTORCH`, so plain `cargo build/test/clippy` and rust-analyzer find libtorch with
//! nothing exported, and `cargo xtask` builds with the same value (no rebuild between the two).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The link's name at the workspace root; `.cargo/config.toml` and `.gitignore` repeat it.
pub const LINK_NAME: &str = ".libtorch";

/// The link for the workspace at `root`.
pub fn link_path(root: &Path) -> PathBuf {
    root.join(LINK_NAME)
}

/// Points `link` at `libtorch` (replacing an older link in one rename); returns whether it
/// changed. Refuses to replace anything that is not a symlink.
pub fn point_at(link: &Path, libtorch: &Path) -> Result<bool> {
    match fs::symlink_metadata(link) {
        Ok(meta) if !meta.file_type().is_symlink() => bail!(
            "{} exists and is not a symlink; move it away so that setup can point it at \
             libtorch ({})",
            link.display(),
            libtorch.display()
        ),
        Ok(_) if fs::read_link(link).is_ok_and(|target| target == libtorch) => return Ok(false),
        Ok(_) => {}
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        Err(err) => return Err(err).with_context(|| format!("reading {}", link.display())),
    }
    let mut tmp_name = link.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = link.with_file_name(tmp_name);
    let _ = fs::remove_file(&tmp);
    std::os::unix::fs::symlink(libtorch, &tmp)
        .with_context(|| format!("creating the symlink {}", tmp.display()))?;
    fs::rename(&tmp, link)
        .with_context(|| format!("renaming {} to {}", tmp.display(), link.display()))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_is_created_then_repointed_and_left_alone_when_current() {
        let tmp = tempfile::tempdir().unwrap();
        let link = link_path(tmp.path());
        let (a, b) = (tmp.path().join("torch-a"), tmp.path().join("torch-b"));
        assert!(point_at(&link, &a).unwrap());
        assert_eq!(fs::read_link(&link).unwrap(), a);
        assert!(!point_at(&link, &a).unwrap());
        assert!(point_at(&link, &b).unwrap());
        assert_eq!(fs::read_link(&link).unwrap(), b);
    }

    #[test]
    fn a_real_directory_in_the_way_is_not_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let link = link_path(tmp.path());
        fs::create_dir(&link).unwrap();
        let err = point_at(&link, Path::new("/t")).unwrap_err().to_string();
        assert!(err.contains("not a symlink"), "{err}");
        assert!(link.is_dir());
    }
}
