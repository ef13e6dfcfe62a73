//! `deepskip data imagenet-prep`: sort the raw ImageNet-2012 validation images into class
//! folders from the devkit's ground truth.

use anyhow::Context;
use clap::Args;
use deepskip_data::imagenet::{sort_validation, PrepMode};
use std::path::PathBuf;
use std::process::ExitCode;

/// Sort the 50,000 raw validation images into `<val>/<wnid>/` (hard links by default).
#[derive(Debug, Args)]
pub struct ImagenetPrepArgs {
    /// The unpacked ILSVRC2012_devkit_t12 folder (its data/ holds
    /// ILSVRC2012_validation_ground_truth.txt and meta.mat, or ILSVRC2012_id_to_wnid.txt with
    /// one `<ILSVRC2012_ID> <wnid>` per line).
    #[arg(long, value_name = "DIR")]
    pub devkit: PathBuf,
    /// The folder holding ILSVRC2012_val_00000001.JPEG ... (class folders are made inside it).
    #[arg(long, value_name = "DIR")]
    pub val: PathBuf,
    /// Move the files instead of hard-linking them (same file system only).
    #[arg(long = "move")]
    pub move_files: bool,
}

impl ImagenetPrepArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let mode = if self.move_files {
            PrepMode::Move
        } else {
            PrepMode::HardLink
        };
        let report = sort_validation(&self.devkit, &self.val, mode)
            .with_context(|| format!("sorting {}", self.val.display()))?;
        let verb = if self.move_files { "moved" } else { "linked" };
        println!(
            "{}: {} images {verb}, {} already in place, {} classes",
            self.val.display(),
            report.sorted,
            report.already_sorted,
            report.classes
        );
        if report.missing.is_empty() {
            return Ok(ExitCode::SUCCESS);
        }
        for path in &report.missing {
            eprintln!("missing   {}", path.display());
        }
        eprintln!(
            "{} validation image(s) named by the ground truth are missing: unpack \
             ILSVRC2012_img_val.tar into {} again and re-run (sorted files are kept).",
            report.missing.len(),
            self.val.display()
        );
        Ok(ExitCode::FAILURE)
    }
}
