//! Finds or installs libtorch 2.11.0: `DEEPSKIP_LIBTORCH`, an active venv with torch, or a venv in
//! the user cache that this module creates and fills with `pip install torch==2.11.0`.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use super::cache::{self, CacheLayout};
use super::install_state::{self, InstallSteps, PythonState, TorchProbe};
use super::TORCH_VERSION;
use crate::cmd;

/// Where the libtorch in use came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `DEEPSKIP_LIBTORCH`.
    Explicit,
    /// The active `VIRTUAL_ENV` / `CONDA_PREFIX`.
    ActiveEnv(PathBuf),
    /// The cache venv; `changed` lists what this run did (empty: it was already marked ready).
    Cache { changed: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Libtorch {
    pub dir: PathBuf,
    pub origin: Origin,
}

impl Libtorch {
    pub fn describe(&self) -> String {
        let from = match &self.origin {
            Origin::Explicit => "DEEPSKIP_LIBTORCH".to_string(),
            Origin::ActiveEnv(env) => format!("active environment {}", env.display()),
            Origin::Cache { changed } if changed.is_empty() => "cache, ready".to_string(),
            Origin::Cache { changed } => format!("cache, {}", changed.join(", ")),
        };
        format!(
            "libtorch {TORCH_VERSION} at {} ({from})",
            self.dir.display()
        )
    }
}

/// The libtorch that needs nothing installed, if any: `DEEPSKIP_LIBTORCH`, an active environment
/// with torch 2.11.0, or a cache marked ready. Errors only on an invalid `DEEPSKIP_LIBTORCH`.
pub fn find_ready(layout: &CacheLayout) -> Result<Option<Libtorch>> {
    if let Some(dir) = std::env::var_os("DEEPSKIP_LIBTORCH") {
        let dir = PathBuf::from(dir);
        cache::check_libtorch_dir(&dir).context(
            "DEEPSKIP_LIBTORCH must name a libtorch with include/ and lib/ (unset it to let \
             xtask install torch into the user cache)",
        )?;
        check_build_version(&dir)?;
        return Ok(Some(Libtorch {
            dir,
            origin: Origin::Explicit,
        }));
    }
    if let Some(found) = active_env_torch() {
        return Ok(Some(found));
    }
    Ok(match cache::read_marker(layout) {
        cache::MarkerState::Ready(dir) => Some(Libtorch {
            dir,
            origin: Origin::Cache {
                changed: Vec::new(),
            },
        }),
        _ => None,
    })
}

/// Makes the cache venv usable (creating, installing or repairing it) and marks it ready.
pub fn provision_cache(layout: &CacheLayout) -> Result<Libtorch> {
    provision_cache_with(layout, &mut VenvSteps { layout })
}

/// `provision_cache` with the install steps injected: tests pass fakes (and `cmd::run_install`
/// stops any test that reaches a real install).
fn provision_cache_with(layout: &CacheLayout, steps: &mut impl InstallSteps) -> Result<Libtorch> {
    fs::create_dir_all(&layout.root)
        .with_context(|| format!("creating the libtorch cache {}", layout.root.display()))?;
    let marker = cache::read_marker(layout);
    if let cache::MarkerState::Stale(reason) = &marker {
        eprintln!("xtask: ignoring the stale libtorch marker ({reason})");
    }
    let done = install_state::provision(marker, steps)?;
    let changed = done.actions.iter().filter_map(describe_change).collect();
    Ok(Libtorch {
        dir: done.torch_dir,
        origin: Origin::Cache { changed },
    })
}

fn describe_change(action: &install_state::Action) -> Option<String> {
    use install_state::Action;
    match action {
        Action::CreateVenv {
            replace_existing: false,
        } => Some("venv created".into()),
        Action::CreateVenv {
            replace_existing: true,
        } => Some("broken venv recreated".into()),
        Action::PipInstall => Some(format!("torch=={TORCH_VERSION} installed")),
        Action::WriteMarker(_) => Some("import check passed, marked ready".into()),
        _ => None,
    }
}

/// torch-sys refuses other versions at build time; say so before a long build starts.
fn check_build_version(dir: &Path) -> Result<()> {
    let Ok(text) = fs::read_to_string(dir.join("build-version")) else {
        return Ok(()); // pip's torch has no build-version file
    };
    let version = text.trim();
    if !install_state::is_expected_version(version) {
        bail!(
            "DEEPSKIP_LIBTORCH={} is libtorch {version}, but tch 0.24 needs {TORCH_VERSION}; \
             point it at a {TORCH_VERSION} libtorch or unset it",
            dir.display()
        );
    }
    Ok(())
}

fn active_env_torch() -> Option<Libtorch> {
    let env: PathBuf = ["VIRTUAL_ENV", "CONDA_PREFIX"]
        .iter()
        .find_map(|name| std::env::var_os(name).filter(|v| !v.is_empty()))?
        .into();
    // The package metadata, not `import torch` (seconds, on every task): the user manages this
    // environment, and a broken torch there fails the build with torch-sys's own message.
    match run_probe(&env.join("bin").join("python"), TORCH_METADATA_PROBE) {
        TorchProbe::Found { version, dir }
            if install_state::is_expected_version(&version)
                && cache::check_libtorch_dir(&dir).is_ok() =>
        {
            Some(Libtorch {
                dir,
                origin: Origin::ActiveEnv(env),
            })
        }
        TorchProbe::Found { version, .. } => {
            eprintln!(
                "xtask: the active environment {} has torch {version}, not {TORCH_VERSION}; \
                 using the cached install instead",
                env.display()
            );
            None
        }
        TorchProbe::NotImportable(_) => None,
        TorchProbe::Unrunnable(reason) => {
            eprintln!(
                "xtask: ignoring the active environment {}: {reason}",
                env.display()
            );
            None
        }
    }
}

/// The import check: prints the version, then the package directory.
const TORCH_IMPORT_PROBE: &str =
    "import os, torch; print(torch.__version__); print(os.path.dirname(torch.__file__))";

/// The same two lines without importing torch (milliseconds instead of seconds).
const TORCH_METADATA_PROBE: &str = "import importlib.metadata as m, importlib.util as u; \
     print(m.version('torch')); print(u.find_spec('torch').submodule_search_locations[0])";

fn probe_torch(python: &Path) -> TorchProbe {
    run_probe(python, TORCH_IMPORT_PROBE)
}

fn run_probe(python: &Path, script: &str) -> TorchProbe {
    match cmd::output_retrying_busy(Command::new(python).args(["-c", script])) {
        Ok(out) if out.status.success() => parse_torch_probe(&String::from_utf8_lossy(&out.stdout))
            .unwrap_or_else(|| TorchProbe::NotImportable("unexpected probe output".into())),
        Ok(out) => TorchProbe::NotImportable(last_line(&out.stderr)),
        Err(err) => TorchProbe::Unrunnable(cannot_run(python, &err)),
    }
}

/// Version on the first line, the package directory on the second (torch may print warnings
/// before, so the last two lines are used).
fn parse_torch_probe(stdout: &str) -> Option<TorchProbe> {
    let mut lines = stdout
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .rev();
    let dir = lines.next()?;
    let version = lines.next()?;
    Some(TorchProbe::Found {
        version: version.to_string(),
        dir: PathBuf::from(dir),
    })
}

fn cannot_run(python: &Path, err: &std::io::Error) -> String {
    format!("cannot run {}: {err}", python.display())
}

fn last_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no output")
        .trim()
        .to_string()
}

/// The real install steps: `python3 -m venv`, `pip install torch==2.11.0`, the marker file.
#[derive(Debug)]
struct VenvSteps<'a> {
    layout: &'a CacheLayout,
}

impl InstallSteps for VenvSteps<'_> {
    fn probe_python(&mut self) -> PythonState {
        let python = self.layout.python();
        if !python.exists() {
            return PythonState::Missing;
        }
        match cmd::output_retrying_busy(Command::new(&python).args(["-m", "pip", "--version"])) {
            Ok(out) if out.status.success() => PythonState::Works,
            Ok(_) => PythonState::Broken,
            Err(err) => PythonState::Unrunnable(cannot_run(&python, &err)),
        }
    }

    fn probe_torch(&mut self) -> TorchProbe {
        probe_torch(&self.layout.python())
    }

    fn create_venv(&mut self, replace_existing: bool) -> Result<()> {
        let venv = self.layout.venv();
        if replace_existing && venv.exists() {
            eprintln!(
                "xtask: the cached venv {} is unusable; recreating it",
                venv.display()
            );
            // Our own cache directory, never user data.
            fs::remove_dir_all(&venv).with_context(|| format!("removing {}", venv.display()))?;
        }
        eprintln!("xtask: creating the venv {}", venv.display());
        let python = system_python();
        let mut create = Command::new(&python);
        create.arg("-m").arg("venv").arg(&venv);
        cmd::run_install(&mut create).with_context(|| {
            format!(
                "`{} -m venv` failed; on Debian/Ubuntu install python3-venv \
                 (sudo apt-get install -y python3-venv)",
                python.to_string_lossy()
            )
        })
    }

    fn pip_install(&mut self) -> Result<()> {
        eprintln!(
            "xtask: installing torch=={TORCH_VERSION} into {} (about 4.6 GB download, about 2 \
             minutes on a fast link; interrupting is safe, the next run resumes)",
            self.layout.venv().display()
        );
        let mut pip = Command::new(self.layout.python());
        pip.args(["-m", "pip", "install", "--disable-pip-version-check"])
            .arg(format!("torch=={TORCH_VERSION}"));
        cmd::run_install(&mut pip).context(
            "pip could not install torch; check the network or proxy (PIP_INDEX_URL, \
             HTTPS_PROXY) and rerun, or set DEEPSKIP_LIBTORCH=<libtorch dir>",
        )
    }

    fn write_marker(&mut self, torch_dir: &Path) -> Result<()> {
        cache::check_libtorch_dir(torch_dir)?;
        cache::write_marker(self.layout, torch_dir)
    }

    fn clear_marker(&mut self) -> Result<()> {
        cache::clear_marker(self.layout)
    }
}

/// The interpreter that creates the venv: `DEEPSKIP_PYTHON`, else `python3`.
pub(super) fn system_python() -> OsString {
    std::env::var_os("DEEPSKIP_PYTHON").unwrap_or_else(|| "python3".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_output_is_parsed_even_after_warnings() {
        let out = "UserWarning: something\n2.11.0+cu128\n/v/site-packages/torch\n";
        assert_eq!(
            parse_torch_probe(out),
            Some(TorchProbe::Found {
                version: "2.11.0+cu128".into(),
                dir: PathBuf::from("/v/site-packages/torch"),
            })
        );
        assert_eq!(parse_torch_probe("2.11.0\n"), None);
    }

    #[test]
    fn last_line_skips_trailing_blank_lines() {
        let err = b"Traceback\nModuleNotFoundError: No module named 'torch'\n\n";
        assert_eq!(
            last_line(err),
            "ModuleNotFoundError: No module named 'torch'"
        );
        assert_eq!(last_line(b""), "no output");
    }

    #[test]
    fn missing_interpreter_probes_as_unrunnable() {
        let probe = probe_torch(Path::new("/nonexistent/bin/python"));
        assert!(matches!(probe, TorchProbe::Unrunnable(reason) if reason.contains("cannot run")));
    }

    /// The real probes (which run the venv's python, here a shell script) with the venv
    /// creation and the pip install faked on the file system; it records the steps it ran.
    #[derive(Debug)]
    struct FakeInstall<'a> {
        real: VenvSteps<'a>,
        torch: PathBuf,
        log: Vec<String>,
    }

    impl<'a> FakeInstall<'a> {
        fn new(layout: &'a CacheLayout) -> Self {
            let torch = layout.venv().join("lib/python3.11/site-packages/torch");
            Self {
                real: VenvSteps { layout },
                torch,
                log: Vec::new(),
            }
        }

        /// A stand-in for the venv's python: pip answers `--version`, `import torch` works once
        /// the fake torch directory exists.
        fn write_python(&self) {
            use std::os::unix::fs::PermissionsExt;
            let script = format!(
                "#!/bin/sh\n\
                 if [ \"$1\" = -m ] && [ \"$3\" = --version ]; then echo pip 24.0; exit 0; fi\n\
                 if [ -f '{torch}/lib/libtorch.so' ]; then echo 2.11.0+cpu; echo '{torch}'; exit 0; fi\n\
                 echo \"ModuleNotFoundError: No module named 'torch'\" >&2; exit 1\n",
                torch = self.torch.display(),
            );
            let python = self.real.layout.python();
            fs::create_dir_all(python.parent().unwrap()).unwrap();
            fs::write(&python, script).unwrap();
            fs::set_permissions(&python, fs::Permissions::from_mode(0o755)).unwrap();
        }

        fn install_torch(&self) {
            fs::create_dir_all(self.torch.join("include/torch")).unwrap();
            fs::create_dir_all(self.torch.join("lib")).unwrap();
            fs::write(self.torch.join("lib/libtorch.so"), b"").unwrap();
        }
    }

    impl InstallSteps for FakeInstall<'_> {
        fn probe_python(&mut self) -> PythonState {
            self.real.probe_python()
        }
        fn probe_torch(&mut self) -> TorchProbe {
            self.real.probe_torch()
        }
        fn create_venv(&mut self, replace_existing: bool) -> Result<()> {
            self.log.push(format!("venv replace={replace_existing}"));
            self.write_python();
            Ok(())
        }
        fn pip_install(&mut self) -> Result<()> {
            self.log.push("pip".into());
            self.install_torch();
            Ok(())
        }
        fn write_marker(&mut self, torch_dir: &Path) -> Result<()> {
            self.real.write_marker(torch_dir)
        }
        fn clear_marker(&mut self) -> Result<()> {
            self.real.clear_marker()
        }
    }

    #[test]
    fn installed_venv_without_marker_is_marked_not_reinstalled() {
        let tmp = tempfile::tempdir().unwrap();
        let layout = CacheLayout::under(tmp.path());
        let mut steps = FakeInstall::new(&layout);
        steps.write_python();
        steps.install_torch();

        let first = provision_cache_with(&layout, &mut steps).unwrap();
        assert_eq!(first.dir, steps.torch);
        assert!(steps.log.is_empty(), "nothing to install: {:?}", steps.log);
        assert_eq!(
            cache::read_marker(&layout),
            cache::MarkerState::Ready(steps.torch.clone())
        );

        let second = find_ready(&layout).unwrap().unwrap();
        assert_eq!(
            second.origin,
            Origin::Cache {
                changed: Vec::new()
            }
        );
    }

    #[test]
    fn interrupted_install_in_a_fake_cache_is_redone_then_marked() {
        let tmp = tempfile::tempdir().unwrap();
        let layout = CacheLayout::under(tmp.path());
        let mut steps = FakeInstall::new(&layout);
        steps.write_python();
        // A marker from an earlier install whose torch directory has since been damaged.
        cache::write_marker(&layout, &steps.torch).unwrap();
        assert!(matches!(
            cache::read_marker(&layout),
            cache::MarkerState::Stale(_)
        ));

        let done = provision_cache_with(&layout, &mut steps).unwrap();
        assert_eq!(done.dir, steps.torch);
        assert_eq!(steps.log, ["pip"]);
        assert_eq!(
            cache::read_marker(&layout),
            cache::MarkerState::Ready(steps.torch.clone())
        );
    }

    #[test]
    fn python_that_cannot_be_started_is_reported_and_the_venv_kept() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let layout = CacheLayout::under(tmp.path());
        let mut steps = FakeInstall::new(&layout);
        steps.write_python();
        steps.install_torch();
        // Not executable: exec fails (EACCES) although the venv itself is intact.
        fs::set_permissions(layout.python(), fs::Permissions::from_mode(0o644)).unwrap();

        let err = provision_cache_with(&layout, &mut steps)
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot run"), "{err}");
        assert!(err.contains("left as it is"), "{err}");
        assert!(steps.log.is_empty(), "no install step: {:?}", steps.log);
        assert!(steps.torch.join("lib/libtorch.so").is_file());
    }

    #[test]
    fn real_venv_steps_refuse_to_install_under_test() {
        let tmp = tempfile::tempdir().unwrap();
        let layout = CacheLayout::under(tmp.path());
        for step in ["venv", "pip"] {
            let outcome = std::panic::catch_unwind(|| {
                let mut real = VenvSteps { layout: &layout };
                match step {
                    "venv" => real.create_venv(false),
                    _ => real.pip_install(),
                }
            });
            assert!(outcome.is_err(), "the real {step} step ran in a unit test");
        }
        assert!(!layout.venv().exists(), "nothing may be created");
    }

    #[test]
    fn cache_summary_says_what_changed() {
        let lib = Libtorch {
            dir: PathBuf::from("/t"),
            origin: Origin::Cache {
                changed: vec!["import check passed, marked ready".into()],
            },
        };
        assert_eq!(
            lib.describe(),
            "libtorch 2.11.0 at /t (cache, import check passed, marked ready)"
        );
    }
}
