//! `cargo xtask test`: the gate CI runs. Every step runs even after a failure, so one run
//! reports everything that is wrong.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;

use crate::cmd;
use crate::env::BuildEnv;

/// Provision, then check formatting, lint and run the tests of the whole workspace.
///
/// Runs `cargo fmt --all -- --check`, `cargo clippy --workspace --all-targets -- -D warnings`
/// and `cargo test --workspace` with LIBTORCH and LD_LIBRARY_PATH set, prints which steps
/// failed and exits non-zero if any did. Tests that need the real data sets read
/// DEEPSKIP_DATA_MIRROR and are skipped (with a printed reason) when it is unset. A relative
/// DEEPSKIP_DATA_MIRROR or DEEPSKIP_DATA_DIR is taken relative to the directory `cargo xtask
/// test` ran in (cargo runs each test binary in its crate's folder). Without extra arguments it
/// then runs the GPU check's script on the CPU at tiny sizes, from a folder of debug binaries
/// (`cargo xtask gpu-check --debug`; skipped, saying why, without MNIST).
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Extra arguments for `cargo test`, after `--` (e.g. `-- -p deepskip-spectra`, or
    /// `-- -- --nocapture` for the test binaries).
    #[arg(last = true)]
    pub cargo_test_args: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub name: &'static str,
    pub cargo_args: Vec<String>,
}

pub fn steps(extra_test_args: &[String]) -> Vec<Step> {
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut test = args(&["test", "--workspace"]);
    test.extend_from_slice(extra_test_args);
    vec![
        Step {
            name: "fmt",
            cargo_args: args(&["fmt", "--all", "--", "--check"]),
        },
        Step {
            name: "clippy",
            cargo_args: args(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
        },
        Step {
            name: "test",
            cargo_args: test,
        },
    ]
}

/// Data-location variables that tests read; cargo runs test binaries in their crate's folder, so
/// a relative value would point somewhere else there.
const DATA_PATH_VARS: [&str; 2] = ["DEEPSKIP_DATA_MIRROR", "DEEPSKIP_DATA_DIR"];

/// The data variables whose values are relative, made absolute against `cwd`.
fn absolute_data_paths(
    lookup: impl Fn(&str) -> Option<OsString>,
    cwd: &Path,
) -> Vec<(&'static str, PathBuf)> {
    DATA_PATH_VARS
        .iter()
        .filter_map(|&name| {
            let value = PathBuf::from(lookup(name).filter(|v| !v.is_empty())?);
            (!value.is_absolute()).then(|| (name, cwd.join(value)))
        })
        .collect()
}

fn data_path_overrides() -> Result<Vec<(&'static str, PathBuf)>> {
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let overrides = absolute_data_paths(|name| std::env::var_os(name), &cwd);
    for (name, absolute) in &overrides {
        eprintln!(
            "xtask test: {name} is relative; using {} (relative to {})",
            absolute.display(),
            cwd.display()
        );
    }
    Ok(overrides)
}

fn apply_overrides(command: &mut Command, overrides: &[(&'static str, PathBuf)]) {
    for (name, value) in overrides {
        command.env(name, value);
    }
}

pub fn run(args: &TestArgs, env: &BuildEnv) -> Result<()> {
    let overrides = data_path_overrides()?;
    let mut failed = Vec::new();
    let mut summary = Vec::new();
    let numpy_python = numpy_python(env);
    for step in steps(&args.cargo_test_args) {
        let started = Instant::now();
        let mut command = cmd::cargo();
        command.args(&step.cargo_args);
        env.apply(&mut command);
        apply_overrides(&mut command, &overrides);
        if let Some(python) = &numpy_python {
            // The NumPy agreement test of deepskip-spectra compares with this interpreter.
            command.env("DEEPSKIP_PYTHON", python);
        }
        eprintln!("xtask test: {}", cmd::display(&command));
        let outcome = match cmd::run(&mut command) {
            Ok(status) if status.success() => "ok".to_string(),
            Ok(status) => format!("FAILED ({status})"),
            Err(err) => format!("FAILED ({err:#})"),
        };
        if outcome != "ok" {
            failed.push(step.name);
        }
        summary.push(format!(
            "  {:<7} {outcome} in {:.0?}",
            step.name,
            started.elapsed()
        ));
    }
    if args.cargo_test_args.is_empty() {
        let started = Instant::now();
        let outcome = match crate::gpu_check::cpu_run(env) {
            Ok(()) => "ok".to_string(),
            Err(err) => format!("FAILED ({err:#})"),
        };
        if outcome != "ok" {
            failed.push("gpu-check");
        }
        summary.push(format!(
            "  {:<7} {outcome} in {:.0?} (scripts/gpu-check.sh --device cpu --tiny)",
            "gpu-check",
            started.elapsed()
        ));
    }
    eprintln!("xtask test summary:\n{}", summary.join("\n"));
    if !failed.is_empty() {
        bail!("failed steps: {}", failed.join(", "));
    }
    Ok(())
}

/// The provisioned venv's python with numpy (installed when missing), for the NumPy agreement
/// test; `None` (the test then skips, saying why) when there is no venv or no way to install.
fn numpy_python(env: &BuildEnv) -> Option<std::path::PathBuf> {
    let python = crate::bench::sides::venv_python(&env.libtorch)?;
    match crate::bench::ensure_numpy(&python) {
        Ok(()) => Some(python),
        Err(err) => {
            eprintln!("xtask test: no numpy for the NumPy agreement test: {err:#}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_data_paths_are_made_absolute_against_the_callers_directory() {
        let vars = |name: &str| match name {
            "DEEPSKIP_DATA_MIRROR" => Some(OsString::from("../shared/datasets")),
            "DEEPSKIP_DATA_DIR" => Some(OsString::from("/abs/data")),
            _ => None,
        };
        let fixed = absolute_data_paths(vars, Path::new("/work/ws"));
        assert_eq!(
            fixed,
            [(
                "DEEPSKIP_DATA_MIRROR",
                PathBuf::from("/work/ws/../shared/datasets")
            )]
        );
        assert!(absolute_data_paths(|_| Some(OsString::new()), Path::new("/w")).is_empty());
        assert!(absolute_data_paths(|_| None, Path::new("/w")).is_empty());
    }

    #[test]
    fn gate_is_fmt_clippy_test_with_extra_args_for_test_only() {
        let extra = vec!["-p".to_string(), "deepskip-spectra".to_string()];
        let steps = steps(&extra);
        let names: Vec<_> = steps.iter().map(|s| s.name).collect();
        assert_eq!(names, ["fmt", "clippy", "test"]);
        assert_eq!(
            steps[1].cargo_args.last().map(String::as_str),
            Some("warnings")
        );
        assert_eq!(
            steps[2].cargo_args,
            ["test", "--workspace", "-p", "deepskip-spectra"]
        );
    }
}
