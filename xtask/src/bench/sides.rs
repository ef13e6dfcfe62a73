//! The two sides of every comparison: the release `deepskip-bench` driver and the Python of the
//! provisioned torch venv running `bench/reference/*.py`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bench::stats::Side;
use crate::env::BuildEnv;

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

/// The venv python that owns a pip-installed libtorch (`<venv>/lib/pythonX.Y/site-packages/torch`),
/// if `libtorch` sits in one.
pub fn venv_python(libtorch: &Path) -> Option<PathBuf> {
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
}
