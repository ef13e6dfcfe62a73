//! System packages the build needs: OpenBLAS (ndarray-linalg), pkg-config (finds OpenBLAS), a C++
//! compiler (torch-sys compiles its C++ glue) and, only when torch must be installed, a python3
//! that can create a venv. Installed with apt-get when running as root. Slurm and MUNGE are only
//! for the test against a real Slurm (crates/cli/tests/slurm.rs): installed the same way where
//! possible, otherwise named with the line that installs them, and the test skips.

use std::process::{Command, Stdio};

use anyhow::{bail, Result};

use crate::cmd;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    OpenBlas,
    PkgConfig,
    CxxCompiler,
    PythonVenv,
    /// slurmctld, slurmd and the client commands (sbatch, squeue, scontrol).
    Slurm,
    /// munged: Slurm's authentication.
    Munge,
}

impl Requirement {
    pub fn debian_package(self) -> &'static str {
        match self {
            Requirement::OpenBlas => "libopenblas-dev",
            Requirement::PkgConfig => "pkg-config",
            Requirement::CxxCompiler => "g++",
            Requirement::PythonVenv => "python3-venv",
            Requirement::Slurm => "slurm-wlm",
            Requirement::Munge => "munge",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Requirement::OpenBlas => "OpenBLAS",
            Requirement::PkgConfig => "pkg-config",
            Requirement::CxxCompiler => "C++ compiler",
            Requirement::PythonVenv => "python3 venv",
            Requirement::Slurm => "Slurm",
            Requirement::Munge => "MUNGE",
        }
    }

    /// Cheap checks (tens of milliseconds): `setup` runs before every task.
    fn is_present(self) -> bool {
        match self {
            Requirement::OpenBlas => {
                succeeds(Command::new("pkg-config").args(["--exists", "openblas"]))
                    || ldconfig_lists("libopenblas.so")
            }
            Requirement::PkgConfig => succeeds(Command::new("pkg-config").arg("--version")),
            Requirement::CxxCompiler => {
                let cxx = std::env::var_os("CXX").unwrap_or_else(|| "c++".into());
                succeeds(Command::new(cxx).arg("--version"))
                    || succeeds(Command::new("g++").arg("--version"))
            }
            Requirement::PythonVenv => {
                let python = super::libtorch::system_python();
                // Debian's python3 has `venv` but lacks `ensurepip` until python3-venv is installed.
                succeeds(Command::new(python).args(["-c", "import venv, ensurepip"]))
            }
            Requirement::Slurm => ["slurmctld", "slurmd", "sbatch", "squeue", "scontrol"]
                .iter()
                .all(|program| on_path(program)),
            Requirement::Munge => on_path("munged") && on_path("mungekey"),
        }
    }
}

/// What to do about the missing requirements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remedy {
    Nothing,
    /// Run as root with apt-get available: install these Debian packages.
    AptInstall(Vec<&'static str>),
    /// Cannot install: stop with this message.
    Stop(String),
}

pub fn remedy(missing: &[Requirement], is_root: bool, has_apt: bool) -> Remedy {
    if missing.is_empty() {
        return Remedy::Nothing;
    }
    let packages: Vec<&'static str> = missing.iter().map(|r| r.debian_package()).collect();
    let labels: Vec<&str> = missing.iter().map(|r| r.label()).collect();
    match (is_root, has_apt) {
        (true, true) => Remedy::AptInstall(packages),
        (false, true) => Remedy::Stop(format!(
            "missing {}; install them with:\n    sudo apt-get install -y {}\nthen rerun",
            labels.join(", "),
            packages.join(" ")
        )),
        (_, false) => Remedy::Stop(format!(
            "missing {}; install them with your package manager (Debian names: {}) and rerun",
            labels.join(", "),
            packages.join(" ")
        )),
    }
}

/// Checks `required`, installs what is missing when possible, and returns what was installed.
pub fn ensure(required: &[Requirement]) -> Result<Vec<&'static str>> {
    let missing = missing_of(required);
    if missing.is_empty() {
        // Nothing to install: no need to probe for root and apt-get.
        return Ok(Vec::new());
    }
    match remedy(
        &missing,
        is_root(),
        succeeds(Command::new("apt-get").arg("--version")),
    ) {
        Remedy::Nothing => Ok(Vec::new()),
        Remedy::Stop(message) => bail!("{message}"),
        Remedy::AptInstall(packages) => {
            apt_install(&packages)?;
            let still_missing = missing_of(required);
            if !still_missing.is_empty() {
                bail!(
                    "apt-get finished but {:?} are still not usable",
                    still_missing
                );
            }
            Ok(packages)
        }
    }
}

/// Like [`ensure`] for packages only some tests need: where they cannot be installed, the
/// returned note says how to install them instead of failing.
pub fn ensure_optional(wanted: &[Requirement]) -> OptionalOutcome {
    match ensure(wanted) {
        Ok(installed) => OptionalOutcome::Ready { installed },
        Err(why) => OptionalOutcome::Missing(format!("{why:#}")),
    }
}

/// What [`ensure_optional`] achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionalOutcome {
    /// Present (`installed` lists what was installed now).
    Ready { installed: Vec<&'static str> },
    /// Still missing: how to install them.
    Missing(String),
}

fn missing_of(required: &[Requirement]) -> Vec<Requirement> {
    required
        .iter()
        .copied()
        .filter(|r| !r.is_present())
        .collect()
}

fn apt_install(packages: &[&str]) -> Result<()> {
    eprintln!("xtask: installing system packages: {}", packages.join(" "));
    cmd::run_install(Command::new("apt-get").arg("update"))?;
    let mut install = Command::new("apt-get");
    install
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "--no-install-recommends"])
        .args(packages);
    cmd::run_install(&mut install)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn succeeds(command: &mut Command) -> bool {
    command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// `program` is an executable file in a `$PATH` directory or in /usr/sbin or /sbin (where
/// Debian puts daemons, often outside a normal user's `$PATH`).
fn on_path(program: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .any(|dir| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(dir.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// `ldconfig -p` lists `name` itself (the unversioned link only the -dev package installs).
fn ldconfig_lists(name: &str) -> bool {
    ["ldconfig", "/sbin/ldconfig"].iter().any(|ldconfig| {
        Command::new(ldconfig).arg("-p").output().is_ok_and(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .any(|line| line.trim_start().starts_with(&format!("{name} (")))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_missing_needs_nothing() {
        assert_eq!(remedy(&[], false, false), Remedy::Nothing);
    }

    #[test]
    fn root_with_apt_installs_the_debian_packages() {
        let missing = [Requirement::OpenBlas, Requirement::PythonVenv];
        assert_eq!(
            remedy(&missing, true, true),
            Remedy::AptInstall(vec!["libopenblas-dev", "python3-venv"])
        );
    }

    #[test]
    fn non_root_gets_the_exact_sudo_line() {
        let missing = [Requirement::CxxCompiler, Requirement::PkgConfig];
        let Remedy::Stop(message) = remedy(&missing, false, true) else {
            panic!("expected a stop");
        };
        assert!(
            message.contains("sudo apt-get install -y g++ pkg-config\n"),
            "{message}"
        );
    }

    #[test]
    fn slurm_and_munge_are_the_debian_packages_the_slurm_test_needs() {
        let missing = [Requirement::Slurm, Requirement::Munge];
        let Remedy::Stop(message) = remedy(&missing, false, true) else {
            panic!("expected a stop");
        };
        assert!(
            message.contains("sudo apt-get install -y slurm-wlm munge\n"),
            "{message}"
        );
    }

    #[test]
    fn on_path_finds_programs_and_not_missing_ones() {
        assert!(on_path("sh"));
        assert!(!on_path("deepskip-no-such-program"));
    }

    #[test]
    fn without_apt_the_packages_are_named() {
        let Remedy::Stop(message) = remedy(&[Requirement::OpenBlas], true, false) else {
            panic!("expected a stop");
        };
        assert!(message.contains("libopenblas-dev"), "{message}");
        assert!(!message.contains("sudo"), "{message}");
    }
}
