//! `imagenet-prep`: sorts the 50,000 raw validation images (`ILSVRC2012_val_00000001.JPEG`,
//! ...) into `val/<wnid>/` from the devkit's ground truth, by hard links or moves, never
//! overwriting or deleting a file.
//!
//! The devkit gives, per validation image in order, a 1-based ILSVRC2012_ID
//! (`data/ILSVRC2012_validation_ground_truth.txt`) and the ID -> wnid table in
//! `data/meta.mat`. Where meta.mat is not at hand, a plain-text table
//! `data/ILSVRC2012_id_to_wnid.txt` (one `<ILSVRC2012_ID> <wnid>` per line) is read instead.

use super::error::ImagenetError;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The devkit's ground truth, one ILSVRC2012_ID per validation image in order.
pub const GROUND_TRUTH: &str = "ILSVRC2012_validation_ground_truth.txt";
/// The plain-text ID -> wnid table accepted instead of meta.mat.
pub const TEXT_MAPPING: &str = "ILSVRC2012_id_to_wnid.txt";

/// How files get into their class folders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrepMode {
    /// Hard links: the raw files stay where they are.
    #[default]
    HardLink,
    /// Renames within the same file system.
    Move,
}

/// What sorting did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrepReport {
    /// Files linked or moved into their class folder.
    pub sorted: usize,
    /// Files already in place with the same content (a re-run).
    pub already_sorted: usize,
    /// Ground-truth entries whose raw image is in neither place.
    pub missing: Vec<PathBuf>,
    /// Distinct classes the images went to.
    pub classes: usize,
}

/// Sorts `val_dir`'s raw images into `val_dir/<wnid>/` using the devkit at `devkit` (the
/// `ILSVRC2012_devkit_t12` folder or its `data/` folder).
pub fn sort_validation(
    devkit: &Path,
    val_dir: &Path,
    mode: PrepMode,
) -> Result<PrepReport, ImagenetError> {
    let data = devkit_data_dir(devkit)?;
    let ids = read_ground_truth(&data.join(GROUND_TRUTH))?;
    let wnids = read_id_to_wnid(&data)?;
    let mut report = PrepReport::default();
    let mut classes = std::collections::BTreeSet::new();
    for (position, id) in ids.iter().enumerate() {
        let wnid = wnids.get(id).ok_or_else(|| ImagenetError::Devkit {
            path: data.join(GROUND_TRUTH),
            problem: format!(
                "line {}: ILSVRC2012_ID {id} has no wnid in the devkit's table",
                position + 1
            ),
        })?;
        let name = format!("ILSVRC2012_val_{:08}.JPEG", position + 1);
        let class_dir = val_dir.join(wnid);
        fs::create_dir_all(&class_dir).map_err(|e| ImagenetError::io(&class_dir, e))?;
        match place(&val_dir.join(&name), &class_dir.join(&name), mode)? {
            Placed::Sorted => report.sorted += 1,
            Placed::AlreadyThere => report.already_sorted += 1,
            Placed::Missing => report.missing.push(val_dir.join(&name)),
        }
        classes.insert(wnid.clone());
    }
    report.classes = classes.len();
    Ok(report)
}

enum Placed {
    Sorted,
    AlreadyThere,
    Missing,
}

fn place(source: &Path, target: &Path, mode: PrepMode) -> Result<Placed, ImagenetError> {
    let source_exists = source.is_file();
    if target.exists() {
        // Same bytes in place (a re-run): with --move the raw copy is redundant but stays,
        // since nothing here deletes user data.
        if !source_exists || same_content(source, target)? {
            return Ok(Placed::AlreadyThere);
        }
        return Err(ImagenetError::TargetDiffers {
            target: target.to_path_buf(),
            source_path: source.to_path_buf(),
        });
    }
    if !source_exists {
        return Ok(Placed::Missing);
    }
    let result = match mode {
        PrepMode::HardLink => fs::hard_link(source, target),
        PrepMode::Move => fs::rename(source, target),
    };
    result.map_err(|e| ImagenetError::io(target, e))?;
    Ok(Placed::Sorted)
}

fn same_content(a: &Path, b: &Path) -> Result<bool, ImagenetError> {
    let read = |p: &Path| fs::read(p).map_err(|e| ImagenetError::io(p, e));
    Ok(read(a)? == read(b)?)
}

fn devkit_data_dir(devkit: &Path) -> Result<PathBuf, ImagenetError> {
    [devkit.join("data"), devkit.to_path_buf()]
        .into_iter()
        .find(|dir| dir.join(GROUND_TRUTH).is_file())
        .ok_or_else(|| ImagenetError::Devkit {
            path: devkit.to_path_buf(),
            problem: format!(
                "no data/{GROUND_TRUTH}: pass the unpacked ILSVRC2012_devkit_t12 folder"
            ),
        })
}

fn read_text(path: &Path) -> Result<String, ImagenetError> {
    fs::read_to_string(path).map_err(|e| ImagenetError::io(path, e))
}

/// One ILSVRC2012_ID per line, in validation image order.
fn read_ground_truth(path: &Path) -> Result<Vec<u32>, ImagenetError> {
    read_text(path)?
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(number, line)| {
            line.trim().parse().map_err(|_| ImagenetError::Devkit {
                path: path.to_path_buf(),
                problem: format!(
                    "line {}: expected an ILSVRC2012_ID (1-1000), found `{}`",
                    number + 1,
                    line.trim()
                ),
            })
        })
        .collect()
}

/// The ID -> wnid table: the plain-text one if present, else meta.mat.
fn read_id_to_wnid(data: &Path) -> Result<HashMap<u32, String>, ImagenetError> {
    let text = data.join(TEXT_MAPPING);
    if text.is_file() {
        return read_text_mapping(&text);
    }
    let mat = data.join("meta.mat");
    if mat.is_file() {
        return super::meta_mat::read_synsets(&mat);
    }
    Err(ImagenetError::Devkit {
        path: data.to_path_buf(),
        problem: format!("neither meta.mat nor {TEXT_MAPPING} found"),
    })
}

fn read_text_mapping(path: &Path) -> Result<HashMap<u32, String>, ImagenetError> {
    let mut table = HashMap::new();
    for (number, line) in read_text(path)?.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let parsed = match (fields.next(), fields.next()) {
            (Some(id), Some(wnid)) => id.parse::<u32>().ok().map(|id| (id, wnid.to_string())),
            _ => None,
        };
        let (id, wnid) = parsed.ok_or_else(|| ImagenetError::Devkit {
            path: path.to_path_buf(),
            problem: format!(
                "line {}: expected `<ILSVRC2012_ID> <wnid>`, found `{line}`",
                number + 1
            ),
        })?;
        table.insert(id, wnid);
    }
    Ok(table)
}
