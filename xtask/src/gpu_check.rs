//! `cargo xtask gpu-check`: prepares the folder that travels to a CUDA machine (no Rust
//! toolchain there, at most 64 MiB), and `gpu-report`, which the carried script runs there to
//! turn what it measured into one JSON and one markdown file.
//!
//! The folder holds `gpu-check.sh` (scripts/gpu-check.sh), `reference/train_step.py`, MNIST's
//! `.gz` files and `payload/`: the stripped `deepskip`, `deepskip-bench` and `xtask` binaries,
//! the CUDA test binaries, and the shared libraries they need that a machine with only PyTorch
//! lacks (OpenBLAS and its Fortran runtime), each gzip-compressed; the script unpacks them into
//! a scratch folder. `manifest.json` lists every file with its size.

mod pack;
mod summary;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde::Deserialize;

use crate::cmd;
use crate::env::BuildEnv;
pub use summary::{run as report, ReportArgs};

/// The most a GPU session may carry (working tree included), in bytes.
pub const CARRY_LIMIT: u64 = 64 * 1024 * 1024;

/// The CUDA-only tests, as (package, integration test target): their test functions are named
/// `cuda_*`, skip without a GPU, and fail instead when DEEPSKIP_REQUIRE_CUDA=1.
pub const CUDA_TESTS: [(&str, &str); 2] = [
    ("deepskip-models", "network"),
    ("deepskip-train", "training"),
];

/// Prepare the folder for the GPU check: release binaries (stripped), the CUDA test binaries,
/// the PyTorch reference, MNIST and scripts/gpu-check.sh; prints what it holds and its size.
///
/// On the CUDA machine: `bash <out>/gpu-check.sh` (see README, "The GPU check"). With
/// DEEPSKIP_DATA_MIRROR unset, MNIST is taken from the data root (<workspace>/datasets/mnist).
#[derive(Debug, Args)]
pub struct GpuCheckArgs {
    /// Folder to fill (replaced if it exists), relative to the workspace root.
    #[arg(long, default_value = "target/gpu-check")]
    pub out: PathBuf,
    /// Carry debug binaries (no release build): for the CPU run of the script in `cargo xtask
    /// test`, not for timing.
    #[arg(long)]
    pub debug: bool,
}

pub fn run(args: &GpuCheckArgs, env: &BuildEnv) -> Result<()> {
    let out = cmd::workspace_root().join(&args.out);
    let manifest = prepare(&out, env, args.debug)?;
    eprint!("{}", manifest.describe());
    if manifest.total_bytes() > CARRY_LIMIT {
        bail!(
            "{} holds {:.1} MiB, over the {} MiB a GPU session can carry",
            out.display(),
            manifest.total_bytes() as f64 / 1048576.0,
            CARRY_LIMIT / 1048576
        );
    }
    eprintln!(
        "xtask gpu-check: on the CUDA machine run `bash {}/gpu-check.sh`",
        args.out.display()
    );
    Ok(())
}

/// Builds what travels and fills `out`; returns what it wrote.
pub fn prepare(out: &Path, env: &BuildEnv, debug: bool) -> Result<pack::Manifest> {
    let root = cmd::workspace_root();
    // The test profile of the whole workspace, exactly as CI builds it (so that after `cargo
    // test --workspace` nothing is rebuilt): the CUDA test binaries, and in debug mode the
    // binaries too (built for the integration tests).
    let built = workspace_test_build(env)?;
    let tests = CUDA_TESTS
        .iter()
        .map(|(package, test)| built.find(test, ArtifactKind::Test, package))
        .collect::<Result<Vec<_>>>()?;
    let binaries = if debug {
        BINARIES
            .iter()
            .map(|(package, bin)| built.find(bin, ArtifactKind::Bin, package))
            .collect::<Result<Vec<_>>>()?
    } else {
        cmd::build_release_binaries(env, &BINARIES, "gpu-check")?
    };
    if out.exists() {
        std::fs::remove_dir_all(out).with_context(|| format!("removing {}", out.display()))?;
    }
    let mut manifest = pack::Manifest::default();
    let xtask = std::env::current_exe().context("locating the running xtask")?;
    for binary in binaries.iter().chain([&xtask]) {
        manifest.add_executable(out, binary, "payload/bin")?;
    }
    for test in &tests {
        manifest.add_executable(out, test, "payload/tests")?;
    }
    let libtorch_lib = env.libtorch.join("lib");
    for library in pack::foreign_libraries(&binaries[0], &libtorch_lib)? {
        manifest.add_library(out, &library, "payload/lib")?;
    }
    manifest.add_plain(out, &root.join("scripts/gpu-check.sh"), "")?;
    manifest.add_plain(
        out,
        &root.join("bench/reference/train_step.py"),
        "reference",
    )?;
    for file in mnist_files()? {
        manifest.add_plain(out, &file, "data/mnist")?;
    }
    manifest.write(out)?;
    Ok(manifest)
}

/// The carried binaries, as (package, binary).
const BINARIES: [(&str, &str); 2] = [
    ("deepskip-cli", "deepskip"),
    ("deepskip-bench", "deepskip-bench"),
];

/// One line of `cargo --message-format=json`: only built artifacts matter here.
#[derive(Debug, Deserialize)]
struct CargoMessage {
    reason: String,
    #[serde(default)]
    target: Option<CargoTarget>,
    #[serde(default)]
    profile: Option<CargoProfile>,
    #[serde(default)]
    executable: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
struct CargoTarget {
    name: String,
    kind: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct CargoProfile {
    /// Built as a test harness (an integration test, or a bin's unit tests).
    test: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArtifactKind {
    /// An integration test binary.
    Test,
    /// A binary itself (not its unit-test harness).
    Bin,
}

/// The executables cargo reported, with their target name and kind.
#[derive(Debug, Default)]
struct Built {
    executables: Vec<(String, ArtifactKind, PathBuf)>,
}

impl Built {
    fn from_messages(messages: &str) -> Built {
        let executables = messages
            .lines()
            .filter_map(|line| serde_json::from_str::<CargoMessage>(line).ok())
            .filter(|m| m.reason == "compiler-artifact")
            .filter_map(|m| {
                let target = m.target?;
                let harness = m.profile.is_some_and(|p| p.test);
                let kind = if target.kind.iter().any(|k| k == "test") {
                    ArtifactKind::Test
                } else if target.kind.iter().any(|k| k == "bin") && !harness {
                    ArtifactKind::Bin
                } else {
                    return None;
                };
                Some((target.name, kind, m.executable?))
            })
            .collect();
        Built { executables }
    }

    fn find(&self, name: &str, kind: ArtifactKind, package: &str) -> Result<PathBuf> {
        self.executables
            .iter()
            .find(|(n, k, _)| n == name && *k == kind)
            .map(|(_, _, path)| path.clone())
            .with_context(|| format!("cargo built no {kind:?} executable `{name}` of {package}"))
    }
}

/// `cargo test --workspace --no-run`, reading what it built from its JSON messages.
fn workspace_test_build(env: &BuildEnv) -> Result<Built> {
    let mut build = cmd::cargo();
    build.args([
        "test",
        "--workspace",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ]);
    env.apply(&mut build);
    build.stderr(std::process::Stdio::inherit());
    eprintln!("xtask gpu-check: {}", cmd::display(&build));
    let output = build.output().context("running cargo test --no-run")?;
    if !output.status.success() {
        bail!("`{}` failed ({})", cmd::display(&build), output.status);
    }
    Ok(Built::from_messages(&String::from_utf8_lossy(
        &output.stdout,
    )))
}

/// MNIST's four `.gz` files from the mirror (DEEPSKIP_DATA_MIRROR) or the data root.
fn mnist_files() -> Result<Vec<PathBuf>> {
    let candidates: Vec<PathBuf> = [
        std::env::var_os("DEEPSKIP_DATA_MIRROR").map(PathBuf::from),
        std::env::var_os("DEEPSKIP_DATA_DIR").map(PathBuf::from),
        Some(cmd::workspace_root().join("datasets")),
    ]
    .into_iter()
    .flatten()
    .map(|root| root.join("mnist"))
    .collect();
    let names = [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ];
    for dir in &candidates {
        let files: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
        if files.iter().all(|f| f.is_file()) {
            return Ok(files);
        }
    }
    bail!(
        "no MNIST .gz files in any of {}: set DEEPSKIP_DATA_MIRROR to a folder holding mnist/ \
         (or run `deepskip data fetch mnist`)",
        candidates
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Prepares a debug folder and runs its script on the CPU at tiny sizes (the CI test of the
/// GPU check): every step must pass and the report must be written.
pub fn cpu_run(env: &BuildEnv) -> Result<()> {
    if let Err(err) = mnist_files() {
        eprintln!("xtask test: skipped the GPU check's CPU run: {err:#}");
        return Ok(());
    }
    let root = cmd::workspace_root();
    let out = root.join("target/gpu-check-cpu");
    prepare(&out, env, true)?;
    let results = out.join("results");
    let python = crate::bench::sides::venv_python(&env.libtorch)
        .context("no venv python owns the provisioned libtorch; the script needs torch")?;
    let mut script = Command::new("bash");
    script
        .arg(out.join("gpu-check.sh"))
        .args(["--device", "cpu", "--tiny", "--out"])
        .arg(&results)
        .env("PYTHON", &python);
    eprintln!("xtask test: {}", cmd::display(&script));
    cmd::run_checked(&mut script)?;
    let report = results.join("gpu-check.json");
    summary::check_complete(&report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binaries_and_test_binaries_are_found_in_cargos_messages() {
        let messages = [
            r#"{"reason":"compiler-artifact","target":{"name":"deepskip_models","kind":["lib"]},"profile":{"test":false},"executable":null}"#,
            r#"{"reason":"compiler-artifact","target":{"name":"network","kind":["test"]},"profile":{"test":true},"executable":"/t/debug/deps/network-1a"}"#,
            r#"{"reason":"build-finished","success":true}"#,
            r#"{"reason":"compiler-artifact","target":{"name":"deepskip","kind":["bin"]},"profile":{"test":true},"executable":"/t/debug/deps/deepskip-3c"}"#,
            r#"{"reason":"compiler-artifact","target":{"name":"deepskip","kind":["bin"]},"profile":{"test":false},"executable":"/t/debug/deepskip"}"#,
        ]
        .join("\n");
        let built = Built::from_messages(&messages);
        let found = |name, kind| built.find(name, kind, "pkg");
        assert_eq!(
            found("network", ArtifactKind::Test).unwrap(),
            PathBuf::from("/t/debug/deps/network-1a")
        );
        // The binary itself, not its unit-test harness.
        assert_eq!(
            found("deepskip", ArtifactKind::Bin).unwrap(),
            PathBuf::from("/t/debug/deepskip")
        );
        let err = found("training", ArtifactKind::Test)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`training` of pkg"), "{err}");
        assert!(found("deepskip_models", ArtifactKind::Bin).is_err());
    }
}
