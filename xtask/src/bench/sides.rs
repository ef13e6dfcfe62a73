//! The two sides of every comparison: the release `deepskip-bench` driver and the Python of the
//! provisioned torch venv running `bench/reference/*.py`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;
use serde::de::DeserializeOwned;

use crate::bench::child;
use crate::bench::report::Measured;
use crate::bench::stats::{alternation, Paired, Side};
use crate::env::BuildEnv;

/// What [`Sides::alternate`] measured: the throughput of every run, paired, and each side's
/// peak RSS (KiB, the largest of its runs), indexed by `Side as usize`.
#[derive(Debug, Default)]
pub struct Alternation {
    pub throughput: Paired,
    pub peak_rss_kib: [Option<u64>; 2],
}

#[derive(Debug, Clone)]
pub struct Sides {
    pub driver: PathBuf,
    pub python: PathBuf,
    pub reference_dir: PathBuf,
    pub env: BuildEnv,
}

impl Sides {
    /// `deepskip-bench <args>`, with libtorch on the library path.
    pub fn deepskip(&self, args: &[String]) -> Command {
        let mut command = Command::new(&self.driver);
        command.args(args);
        self.env.apply(&mut command);
        command
    }

    /// `python bench/reference/<script> <args>`.
    pub fn reference(&self, script: &str, args: &[String]) -> Command {
        let mut command = Command::new(&self.python);
        command.arg(self.reference_dir.join(script)).args(args);
        command
    }

    /// The command of `side`: the driver's `subcommand` or the reference `script`, same args.
    pub fn command(&self, side: Side, subcommand: &str, script: &str, args: &[String]) -> Command {
        match side {
            Side::Deepskip => {
                let mut all = vec![subcommand.to_string()];
                all.extend_from_slice(args);
                self.deepskip(&all)
            }
            Side::Reference => self.reference(script, args),
        }
    }
}

impl Sides {
    /// Runs one comparison A B A B: pair `p` runs `subcommand` / `script` with `args(p)` on
    /// both sides; `record` reads each run's report (of type `R`) and returns its throughput.
    pub fn alternate<R: DeserializeOwned>(
        &self,
        label: &str,
        pairs: usize,
        (subcommand, script): (&str, &str),
        args: impl Fn(usize) -> Vec<String>,
        mut record: impl FnMut(Side, &R) -> Result<f64>,
    ) -> Result<Alternation> {
        let mut out = Alternation::default();
        for (pair, side) in alternation(pairs) {
            eprintln!("xtask bench: {label} pair {}/{pairs} {side:?}", pair + 1);
            let report: Measured<R> =
                child::report(&mut self.command(side, subcommand, script, &args(pair)))?;
            let slot = side as usize;
            out.peak_rss_kib[slot] = out.peak_rss_kib[slot].max(report.peak_rss_kib);
            out.throughput.push(side, record(side, &report.body)?);
        }
        Ok(out)
    }
}

/// The venv python that owns a pip-installed libtorch (`<venv>/lib/pythonX.Y/site-packages/torch`),
/// if `libtorch` sits in one.
pub fn venv_python(libtorch: &Path) -> Option<PathBuf> {
    // Setup hands out the workspace's `.libtorch` link: the venv is where the link points.
    let libtorch = std::fs::canonicalize(libtorch).unwrap_or_else(|_| libtorch.to_path_buf());
    let site_packages = libtorch.parent()?;
    if site_packages.file_name()? != "site-packages" {
        return None;
    }
    let venv = site_packages.parent()?.parent()?.parent()?;
    Some(venv.join("bin").join("python"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn venv_python_is_found_from_the_torch_dir() {
        let torch = Path::new("/c/deepskip/torch-2.11.0/venv/lib/python3.11/site-packages/torch");
        assert_eq!(
            venv_python(torch),
            Some(PathBuf::from("/c/deepskip/torch-2.11.0/venv/bin/python"))
        );
        assert_eq!(venv_python(Path::new("/opt/libtorch")), None);
    }

    #[test]
    fn venv_python_is_found_through_the_workspace_link() {
        let tmp = tempfile::tempdir().unwrap();
        let torch = tmp.path().join("venv/lib/python3.11/site-packages/torch");
        std::fs::create_dir_all(&torch).unwrap();
        let link = tmp.path().join(".libtorch");
        std::os::unix::fs::symlink(&torch, &link).unwrap();
        let venv = std::fs::canonicalize(tmp.path().join("venv")).unwrap();
        assert_eq!(venv_python(&link), Some(venv.join("bin").join("python")));
    }
}
