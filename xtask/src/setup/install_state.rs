//! The cached torch install as a state machine: what is on disk decides the next step.
//!
//! `decide` is pure and `provision` drives any [`InstallSteps`], so an interrupted install (a venv
//! without pip, a torch that does not import, a marker left by an older install) is tested here
//! with fakes instead of a 4.6 GB download.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use super::cache::MarkerState;
use super::TORCH_VERSION;

/// Whether the cache venv's interpreter can run pip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PythonState {
    Missing,
    /// The interpreter ran and its pip failed (e.g. `python -m venv` was killed midway).
    Broken,
    Works,
    /// The interpreter could not be started at all (permissions, a busy file, no memory): says
    /// nothing about the venv, so it is never a reason to recreate it.
    Unrunnable(String),
}

/// What `import torch` says in the cache venv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TorchProbe {
    Found {
        version: String,
        dir: PathBuf,
    },
    /// The interpreter ran and the import (or the metadata lookup) failed.
    NotImportable(String),
    /// The interpreter could not be started; nothing is known about torch.
    Unrunnable(String),
}

/// Everything known so far; `None` means not probed yet (probes are slow, so they are lazy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub marker: MarkerState,
    pub python: Option<PythonState>,
    pub torch: Option<TorchProbe>,
    /// pip runs into the current venv (a recreated venv starts again at 0).
    pub pip_installs_in_venv: u32,
    pub venv_creations: u32,
}

impl Facts {
    pub fn new(marker: MarkerState) -> Self {
        Self {
            marker,
            python: None,
            torch: None,
            pip_installs_in_venv: 0,
            venv_creations: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Use(PathBuf),
    ProbePython,
    ProbeTorch,
    CreateVenv { replace_existing: bool },
    PipInstall,
    WriteMarker(PathBuf),
    Fail(String),
}

impl Action {
    /// Steps that change the venv; the marker is removed before them.
    fn mutates_venv(&self) -> bool {
        matches!(self, Action::CreateVenv { .. } | Action::PipInstall)
    }
}

/// `2.11.0`, or a local build tag such as `2.11.0+cpu` / `2.11.0+cu128`.
pub fn is_expected_version(version: &str) -> bool {
    version.split('+').next() == Some(TORCH_VERSION)
}

pub fn decide(facts: &Facts) -> Action {
    if let MarkerState::Ready(dir) = &facts.marker {
        return Action::Use(dir.clone());
    }
    let recreated = facts.venv_creations > 0;
    match &facts.python {
        None => Action::ProbePython,
        Some(PythonState::Missing) if !recreated => Action::CreateVenv {
            replace_existing: false,
        },
        Some(PythonState::Broken) if !recreated => Action::CreateVenv {
            replace_existing: true,
        },
        Some(PythonState::Missing | PythonState::Broken) => Action::Fail(
            "a freshly created venv has no working python/pip; check that `python3 -m venv` works"
                .into(),
        ),
        Some(PythonState::Works) => decide_torch(facts),
        Some(PythonState::Unrunnable(reason)) => Action::Fail(could_not_run(reason)),
    }
}

fn could_not_run(reason: &str) -> String {
    format!(
        "{reason}; the cached venv was left as it is (a failure to start python says nothing \
         about the venv): rerun, or delete the venv to have it recreated"
    )
}

fn decide_torch(facts: &Facts) -> Action {
    let problem = match &facts.torch {
        None => return Action::ProbeTorch,
        Some(TorchProbe::Found { version, dir }) if is_expected_version(version) => {
            return Action::WriteMarker(dir.clone())
        }
        Some(TorchProbe::Found { version, .. }) => format!("torch {version} is installed"),
        Some(TorchProbe::NotImportable(reason)) => format!("`import torch` fails: {reason}"),
        Some(TorchProbe::Unrunnable(reason)) => return Action::Fail(could_not_run(reason)),
    };
    if facts.pip_installs_in_venv == 0 {
        Action::PipInstall
    } else if facts.venv_creations == 0 {
        // pip considered the install complete but it does not import: files are damaged.
        Action::CreateVenv {
            replace_existing: true,
        }
    } else {
        Action::Fail(format!(
            "torch=={TORCH_VERSION} was installed into a fresh venv but {problem}"
        ))
    }
}

/// The side effects `provision` needs; the real ones run python and pip.
pub trait InstallSteps {
    fn probe_python(&mut self) -> PythonState;
    fn probe_torch(&mut self) -> TorchProbe;
    fn create_venv(&mut self, replace_existing: bool) -> Result<()>;
    fn pip_install(&mut self) -> Result<()>;
    fn write_marker(&mut self, torch_dir: &Path) -> Result<()>;
    fn clear_marker(&mut self) -> Result<()>;
}

/// What `provision` did, for the one-line summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provisioned {
    pub torch_dir: PathBuf,
    pub actions: Vec<Action>,
}

/// Runs `decide` until the torch directory is usable. Bounded: each branch of `decide` makes
/// progress, and the counters stop retries after one venv recreation.
pub fn provision(marker: MarkerState, steps: &mut impl InstallSteps) -> Result<Provisioned> {
    const MAX_STEPS: usize = 16;
    let mut facts = Facts::new(marker);
    let mut actions = Vec::new();
    for _ in 0..MAX_STEPS {
        let action = decide(&facts);
        if action.mutates_venv() {
            steps.clear_marker()?;
        }
        match &action {
            Action::Use(dir) => {
                return Ok(Provisioned {
                    torch_dir: dir.clone(),
                    actions,
                });
            }
            Action::ProbePython => facts.python = Some(steps.probe_python()),
            Action::ProbeTorch => facts.torch = Some(steps.probe_torch()),
            Action::CreateVenv { replace_existing } => {
                steps.create_venv(*replace_existing)?;
                facts.venv_creations += 1;
                facts.pip_installs_in_venv = 0;
                facts.python = None;
                facts.torch = None;
            }
            Action::PipInstall => {
                steps.pip_install()?;
                facts.pip_installs_in_venv += 1;
                facts.torch = None;
            }
            Action::WriteMarker(dir) => {
                steps.write_marker(dir)?;
                facts.marker = MarkerState::Ready(dir.clone());
            }
            Action::Fail(reason) => bail!("libtorch provisioning failed: {reason}"),
        }
        actions.push(action);
    }
    bail!("libtorch provisioning did not settle after {MAX_STEPS} steps: {actions:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn torch_dir() -> PathBuf {
        PathBuf::from("/venv/lib/python3.11/site-packages/torch")
    }

    fn found(version: &str) -> TorchProbe {
        TorchProbe::Found {
            version: version.into(),
            dir: torch_dir(),
        }
    }

    #[test]
    fn version_check_accepts_build_tags_only_for_the_pinned_release() {
        assert!(is_expected_version("2.11.0"));
        assert!(is_expected_version("2.11.0+cu128"));
        assert!(!is_expected_version("2.11.01"));
        assert!(!is_expected_version("2.10.0+cpu"));
    }

    #[test]
    fn ready_marker_is_used_without_probing() {
        let facts = Facts::new(MarkerState::Ready(torch_dir()));
        assert_eq!(decide(&facts), Action::Use(torch_dir()));
    }

    #[test]
    fn stale_marker_is_not_trusted() {
        let facts = Facts::new(MarkerState::Stale("gone".into()));
        assert_eq!(decide(&facts), Action::ProbePython);
    }

    #[test]
    fn working_torch_without_marker_only_gets_a_marker() {
        let mut facts = Facts::new(MarkerState::Missing);
        facts.python = Some(PythonState::Works);
        facts.torch = Some(found("2.11.0+cu128"));
        assert_eq!(decide(&facts), Action::WriteMarker(torch_dir()));
    }

    #[test]
    fn wrong_version_is_reinstalled() {
        let mut facts = Facts::new(MarkerState::Missing);
        facts.python = Some(PythonState::Works);
        facts.torch = Some(found("2.10.0"));
        assert_eq!(decide(&facts), Action::PipInstall);
    }

    #[test]
    fn python_that_cannot_start_fails_without_touching_the_venv() {
        let mut facts = Facts::new(MarkerState::Missing);
        facts.python = Some(PythonState::Unrunnable("cannot run /v/bin/python".into()));
        let Action::Fail(reason) = decide(&facts) else {
            panic!("an exec failure must not lead to an install step")
        };
        assert!(reason.contains("left as it is"), "{reason}");
        facts.python = Some(PythonState::Works);
        facts.torch = Some(TorchProbe::Unrunnable("cannot run /v/bin/python".into()));
        assert!(matches!(decide(&facts), Action::Fail(_)));
    }

    #[test]
    fn broken_venv_is_replaced_once_then_fails() {
        let mut facts = Facts::new(MarkerState::Missing);
        facts.python = Some(PythonState::Broken);
        assert_eq!(
            decide(&facts),
            Action::CreateVenv {
                replace_existing: true
            }
        );
        facts.venv_creations = 1;
        assert!(matches!(decide(&facts), Action::Fail(_)));
    }

    /// A fake cache: `interrupted_installs` pip runs leave torch unimportable before one works.
    #[derive(Debug, Default)]
    struct FakeCache {
        python: Option<PythonState>,
        torch_installed: bool,
        interrupted_installs: u32,
        marker: Option<PathBuf>,
        log: Vec<&'static str>,
    }

    impl InstallSteps for FakeCache {
        fn probe_python(&mut self) -> PythonState {
            self.python.clone().unwrap_or(PythonState::Missing)
        }
        fn probe_torch(&mut self) -> TorchProbe {
            if self.torch_installed {
                found("2.11.0")
            } else {
                TorchProbe::NotImportable("ModuleNotFoundError".into())
            }
        }
        fn create_venv(&mut self, _replace_existing: bool) -> Result<()> {
            self.log.push("venv");
            self.python = Some(PythonState::Works);
            self.torch_installed = false;
            Ok(())
        }
        fn pip_install(&mut self) -> Result<()> {
            self.log.push("pip");
            assert!(
                self.marker.is_none(),
                "marker must be cleared before pip runs"
            );
            if self.interrupted_installs > 0 {
                self.interrupted_installs -= 1;
            } else {
                self.torch_installed = true;
            }
            Ok(())
        }
        fn write_marker(&mut self, torch_dir: &Path) -> Result<()> {
            self.log.push("marker");
            self.marker = Some(torch_dir.to_path_buf());
            Ok(())
        }
        fn clear_marker(&mut self) -> Result<()> {
            self.marker = None;
            Ok(())
        }
    }

    #[test]
    fn empty_cache_creates_installs_and_marks() {
        let mut cache = FakeCache::default();
        let done = provision(MarkerState::Missing, &mut cache).unwrap();
        assert_eq!(done.torch_dir, torch_dir());
        assert_eq!(cache.log, ["venv", "pip", "marker"]);
    }

    #[test]
    fn existing_install_without_marker_is_not_reinstalled() {
        let mut cache = FakeCache {
            python: Some(PythonState::Works),
            torch_installed: true,
            ..FakeCache::default()
        };
        provision(MarkerState::Missing, &mut cache).unwrap();
        assert_eq!(cache.log, ["marker"]);
        assert_eq!(cache.marker, Some(torch_dir()));
    }

    #[test]
    fn interrupted_pip_install_is_redone() {
        // Killed midway: the venv works, torch does not import.
        let mut cache = FakeCache {
            python: Some(PythonState::Works),
            ..FakeCache::default()
        };
        provision(MarkerState::Missing, &mut cache).unwrap();
        assert_eq!(cache.log, ["pip", "marker"]);
    }

    #[test]
    fn install_that_pip_thinks_complete_but_does_not_import_recreates_the_venv() {
        let mut cache = FakeCache {
            python: Some(PythonState::Works),
            interrupted_installs: 1,
            ..FakeCache::default()
        };
        provision(MarkerState::Missing, &mut cache).unwrap();
        assert_eq!(cache.log, ["pip", "venv", "pip", "marker"]);
    }

    #[test]
    fn persistent_failure_stops_with_a_reason_and_no_marker() {
        let mut cache = FakeCache {
            python: Some(PythonState::Works),
            interrupted_installs: 10,
            ..FakeCache::default()
        };
        let err = provision(MarkerState::Missing, &mut cache)
            .unwrap_err()
            .to_string();
        assert!(err.contains("import torch"), "{err}");
        assert_eq!(cache.marker, None);
    }

    #[test]
    fn stale_marker_is_cleared_before_reinstalling() {
        let mut cache = FakeCache {
            python: Some(PythonState::Broken),
            marker: Some(PathBuf::from("/old")),
            ..FakeCache::default()
        };
        provision(MarkerState::Stale("gone".into()), &mut cache).unwrap();
        assert_eq!(cache.log, ["venv", "pip", "marker"]);
        assert_eq!(cache.marker, Some(torch_dir()));
    }
}
