//! `cargo xtask reproduce`: the paper reproduction, with nothing to install by hand.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::cmd;
use crate::env::BuildEnv;

/// Provision, build `deepskip` in release and run `deepskip reproduce ARGS`.
///
/// Trains (or resumes) every run of the chosen profile, analyses the condition numbers and
/// writes tables, figures and report.html under results/<profile>/. The exit code is
/// deepskip's. Example on a GPU: `cargo xtask reproduce -- --profile paper --device cuda`;
/// see `cargo xtask reproduce -- --help` for deepskip's own options.
#[derive(Debug, Args)]
pub struct ReproduceArgs {
    /// Arguments for `deepskip reproduce` (put them after `--`).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

pub fn run(args: &ReproduceArgs, env: &BuildEnv) -> Result<ExitCode> {
    let binary = cmd::build_release_binary(env, ("deepskip-cli", "deepskip"), "reproduce")?;
    let mut reproduce = std::process::Command::new(&binary);
    reproduce
        .current_dir(cmd::workspace_root())
        .arg("reproduce")
        .args(&args.args);
    env.apply(&mut reproduce);
    eprintln!("xtask reproduce: {}", cmd::display(&reproduce));
    let status = cmd::run(&mut reproduce)?;
    Ok(exit_code(status.code()))
}

/// The child's exit code; killed by a signal (no code) counts as failure.
fn exit_code(code: Option<i32>) -> ExitCode {
    match code {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1).max(1)),
        None => ExitCode::FAILURE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_forwarded_and_never_turn_into_success() {
        assert_eq!(exit_code(Some(0)), ExitCode::SUCCESS);
        assert_eq!(exit_code(Some(3)), ExitCode::from(3));
        assert_eq!(exit_code(Some(256)), ExitCode::from(1));
        assert_eq!(exit_code(None), ExitCode::FAILURE);
    }
}
