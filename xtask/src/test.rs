//! `cargo xtask test`: the gate CI runs. Every step runs even after a failure, so one run
//! reports everything that is wrong.

use std::time::Instant;

use anyhow::{bail, Result};
use clap::Args;

use crate::cmd;
use crate::env::BuildEnv;

/// Provision, then check formatting, lint and run the tests of the whole workspace.
///
/// Runs `cargo fmt --all -- --check`, `cargo clippy --workspace --all-targets -- -D warnings`
/// and `cargo test --workspace` with LIBTORCH and LD_LIBRARY_PATH set, prints which steps
/// failed and exits non-zero if any did. Tests that need the real data sets read
/// DEEPSKIP_DATA_MIRROR and are skipped (with a printed reason) when it is unset.
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

pub fn run(args: &TestArgs, env: &BuildEnv) -> Result<()> {
    let mut failed = Vec::new();
    let mut summary = Vec::new();
    let numpy_python = numpy_python(env);
    for step in steps(&args.cargo_test_args) {
        let started = Instant::now();
        let mut command = cmd::cargo();
        command.args(&step.cargo_args);
        env.apply(&mut command);
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
