//! The ImageNet folder layout: one folder per class (its WordNet id), class index = position in
//! the sorted list of wnids, as torchvision's `ImageFolder`.

use super::error::ImagenetError;
use std::path::{Path, PathBuf};

/// File extensions torchvision's `ImageFolder` accepts (compared case-insensitively). The
/// content decides how a file is decoded; the extension only decides what is an image.
const IMAGE_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "png", "ppm", "bmp", "pgm", "tif", "tiff", "webp",
];

/// One split (`train` or `val`): the class names and every image with its class index.
#[derive(Debug, Clone)]
pub struct ImageFolder {
    root: PathBuf,
    classes: Vec<String>,
    samples: Vec<(PathBuf, usize)>,
}

impl ImageFolder {
    /// Scans `dir`: its sub-folders are the classes, sorted by name.
    pub fn scan(dir: &Path) -> Result<Self, ImagenetError> {
        let classes = class_folders(dir)?;
        if classes.is_empty() {
            return Err(ImagenetError::NoClasses {
                dir: dir.to_path_buf(),
            });
        }
        Self::scan_with_classes(dir, &classes)
    }

    /// Scans `dir` with the class list of another split (validation uses training's indices).
    /// A class folder missing from `dir` is fine; one not in `classes` is an error.
    pub fn scan_with_classes(dir: &Path, classes: &[String]) -> Result<Self, ImagenetError> {
        let present = class_folders(dir)?;
        if present.is_empty() {
            return Err(ImagenetError::NoClasses {
                dir: dir.to_path_buf(),
            });
        }
        let mut samples = Vec::new();
        for wnid in &present {
            let index = classes
                .binary_search(wnid)
                .map_err(|_| ImagenetError::UnknownClass {
                    dir: dir.to_path_buf(),
                    wnid: wnid.clone(),
                })?;
            for path in image_files(&dir.join(wnid))? {
                samples.push((path, index));
            }
        }
        Ok(Self {
            root: dir.to_path_buf(),
            classes: classes.to_vec(),
            samples,
        })
    }

    /// The folder this split was scanned from.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The wnids, sorted; a class index is a position in this list.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// The class index of `wnid`, if it is a class.
    pub fn class_index(&self, wnid: &str) -> Option<usize> {
        self.classes.binary_search_by(|c| c.as_str().cmp(wnid)).ok()
    }

    /// Every image path with its class index, sorted by class then file name.
    pub fn samples(&self) -> &[(PathBuf, usize)] {
        &self.samples
    }

    /// The number of images.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether the split holds no image.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

/// Both splits of an ImageNet root, sharing the training split's class indices.
#[derive(Debug, Clone)]
pub struct ImagenetLayout {
    pub train: ImageFolder,
    pub val: ImageFolder,
}

impl ImagenetLayout {
    /// Opens `<root>/train` and `<root>/val`.
    pub fn open(root: &Path) -> Result<Self, ImagenetError> {
        let train = ImageFolder::scan(&root.join("train"))?;
        let val = ImageFolder::scan_with_classes(&root.join("val"), train.classes())?;
        Ok(Self { train, val })
    }
}

/// The names of the sub-folders of `dir`, sorted (hidden ones skipped).
fn class_folders(dir: &Path) -> Result<Vec<String>, ImagenetError> {
    let mut names = Vec::new();
    for entry in read_dir(dir)? {
        let path = entry.path();
        let is_dir = std::fs::metadata(&path)
            .map_err(|e| ImagenetError::io(&path, e))?
            .is_dir();
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_dir && !name.starts_with('.') {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// The image files of one class folder, sorted by name.
fn image_files(dir: &Path) -> Result<Vec<PathBuf>, ImagenetError> {
    let mut files: Vec<PathBuf> = read_dir(dir)?
        .into_iter()
        .map(|entry| entry.path())
        .filter(|path| has_image_extension(path) && path.is_file())
        .collect();
    files.sort();
    Ok(files)
}

fn has_image_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

fn read_dir(dir: &Path) -> Result<Vec<std::fs::DirEntry>, ImagenetError> {
    std::fs::read_dir(dir)
        .and_then(|entries| entries.collect::<Result<Vec<_>, _>>())
        .map_err(|e| ImagenetError::io(dir, e))
}
