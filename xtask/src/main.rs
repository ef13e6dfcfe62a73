//! `cargo xtask`: provisioning, the test gate, the reproduction and the benchmarks of deepskip.
//!
//! Never depends on tch or on a workspace crate: it must build before libtorch exists.

mod bench;
mod cmd;
mod env;
mod gpu_check;
mod reproduce;
mod setup;
mod test;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

use env::BuildEnv;

/// Project automation for deepskip. Every task first runs `setup`, which installs what the build
/// needs (OpenBLAS, pkg-config, a C++ compiler, libtorch 2.11.0 in the user cache) and is a
/// quick no-op once done.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Install missing system packages and libtorch 2.11.0; a no-op when already done.
    ///
    /// System packages (libopenblas-dev, pkg-config, g++, python3-venv) are installed with
    /// apt-get when running as root; otherwise setup stops with the `sudo apt-get install`
    /// line to run. libtorch comes from, in order: DEEPSKIP_LIBTORCH=<dir with include/ and
    /// lib/>; an active VIRTUAL_ENV or CONDA_PREFIX with torch 2.11.0; or a venv under
    /// ${XDG_CACHE_HOME:-~/.cache}/deepskip/torch-2.11.0, created with `pip install
    /// torch==2.11.0` (about 4.6 GB) and marked READY only after `import torch` passes. An
    /// interrupted install is detected and redone on the next run. The libtorch is then linked
    /// at <workspace>/.libtorch, where plain cargo finds it.
    Setup,
    /// Print `export` lines for LIBTORCH and LD_LIBRARY_PATH: `eval "$(cargo xtask env)"`.
    ///
    /// Rarely needed: after `setup`, plain `cargo build/test/clippy` find libtorch through
    /// `<workspace>/.libtorch` (named in .cargo/config.toml) and built binaries through their
    /// rpath. The lines serve tools outside cargo that load libtorch themselves.
    Env,
    Test(test::TestArgs),
    Reproduce(reproduce::ReproduceArgs),
    // Boxed: its options make it several times larger than every other task.
    Bench(Box<bench::BenchArgs>),
    GpuCheck(gpu_check::GpuCheckArgs),
    GpuReport(gpu_check::ReportArgs),
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    // What the GPU check runs on a machine without a Rust toolchain: no setup, no build.
    match &cli.task {
        Task::GpuReport(args) => {
            gpu_check::report(args)?;
            return Ok(ExitCode::SUCCESS);
        }
        Task::Bench(args) if args.driver.is_some() => {
            bench::run(args, &bench::carried_env(args)?)?;
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let libtorch = setup::run()?;
    let env = BuildEnv::from_process(&libtorch.dir);
    match cli.task {
        Task::Setup => {}
        Task::Env => print!("{}", env.export_lines()),
        Task::Test(args) => test::run(&args, &env)?,
        Task::Reproduce(args) => return reproduce::run(&args, &env),
        Task::Bench(args) => bench::run(&args, &env)?,
        Task::GpuCheck(args) => gpu_check::run(&args, &env)?,
        Task::GpuReport(_) => unreachable!("handled before setup"),
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reproduce_args(argv: &[&str]) -> Vec<String> {
        match Cli::try_parse_from(argv).unwrap().task {
            Task::Reproduce(args) => args.args,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn reproduce_passes_arguments_through_with_or_without_separator() {
        let expected = ["--profile", "paper", "--device", "cuda"];
        let with = reproduce_args(&[
            "xtask",
            "reproduce",
            "--",
            "--profile",
            "paper",
            "--device",
            "cuda",
        ]);
        let without = reproduce_args(&[
            "xtask",
            "reproduce",
            "--profile",
            "paper",
            "--device",
            "cuda",
        ]);
        assert_eq!(with, expected);
        assert_eq!(without, expected);
        assert_eq!(
            reproduce_args(&["xtask", "reproduce", "--", "--help"]),
            ["--help"]
        );
    }

    #[test]
    fn test_arguments_after_separator_reach_cargo_test() {
        let cli = Cli::try_parse_from(["xtask", "test", "--", "-p", "deepskip-data"]).unwrap();
        let Task::Test(args) = cli.task else {
            panic!("not the test task")
        };
        assert_eq!(args.cargo_test_args, ["-p", "deepskip-data"]);
    }

    #[test]
    fn every_task_has_help() {
        for task in [
            "setup",
            "env",
            "test",
            "reproduce",
            "bench",
            "gpu-check",
            "gpu-report",
        ] {
            let err = Cli::try_parse_from(["xtask", task, "--help"]).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp, "{task}");
            assert!(err.to_string().len() > 100, "{task}: {err}");
        }
    }
}
