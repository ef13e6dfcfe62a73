//! `cargo xtask bench`: deepskip side by side with PyTorch and NumPy on this machine, in one
//! run: training step throughput, condition-number analysis, the data pipeline, peak memory.
//!
//! Builds `deepskip-bench` (crates/bench) in release, runs it and the references in
//! `bench/reference/` (with the provisioned torch venv's python, numpy installed into it when
//! missing) alternately, and writes `results/bench/bench.json` and `bench.md`.

mod child;
mod condition;
mod machine;
mod output;
mod pipeline;
mod report;
pub(crate) mod sides;
mod stats;
mod train;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use serde_json::{json, Value};

use crate::cmd;
use crate::env::BuildEnv;
use condition::MatrixSet;
use sides::Sides;
use stats::median;
use train::{Precision, TrainResult, TrainSetup};

/// Benchmark deepskip against PyTorch (training steps) and NumPy (condition numbers) on this
/// machine, plus the data pipeline; writes bench.json and bench.md.
///
/// Each comparison runs the two sides alternately (A B A B), one process per run, and reports
/// the median of the per-pair ratios deepskip / reference. CPU: batch 32, width 0.25, fp32;
/// with --device cuda: batch 128, full width, fp32, fp16 autocast and bf16. --quick (under 5 minutes on 2 cores):
/// 3 pairs of 4 timed steps, 8 + 16 matrices; the full run (under 20 minutes): 5 pairs of 10
/// steps, 164 + 164 matrices of 500 x 16,384 and 500 x 4,096.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The short run (fewer pairs, steps and matrices; stated in the output).
    #[arg(long)]
    pub quick: bool,
    /// Output directory, relative to the workspace root.
    #[arg(long, default_value = "results/bench")]
    pub out: PathBuf,
    /// What to measure.
    #[arg(long, value_delimiter = ',', default_value = "train,analysis,pipeline")]
    pub only: Vec<Part>,
    /// Models of the training comparison.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "plainnet-164,resnet-164,resnext-164"
    )]
    pub models: Vec<String>,
    /// cpu, cuda, or auto (cuda when libtorch, asked through the PyTorch side, can use a GPU).
    #[arg(long, default_value = "auto")]
    pub device: String,
    /// Training batch size (default: 32 on CPU, 128 on CUDA).
    #[arg(long)]
    pub batch: Option<u64>,
    /// Width multiplier (default: 0.25 on CPU, 1 on CUDA).
    #[arg(long)]
    pub width: Option<f64>,
    /// A-B pairs per comparison (default: 3 quick, 5 full).
    #[arg(long)]
    pub pairs: Option<usize>,
    /// Matrices per shape in the analysis (default: 8 and 16 quick, 164 and 164 full).
    #[arg(long)]
    pub matrices: Option<usize>,
    /// Python with torch 2.11.0 (default: the provisioned venv's).
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// Precisions of the training comparison (default: fp32 on CPU; fp32, fp16, bf16 on CUDA).
    #[arg(long, value_delimiter = ',')]
    pub precisions: Vec<Precision>,
    /// Train in channels-last (NHWC) memory order on both sides.
    #[arg(long)]
    pub channels_last: bool,
    /// Time this deepskip-bench instead of building one (the GPU check carries a built one).
    #[arg(long)]
    pub driver: Option<PathBuf>,
    /// The folder of train_step.py and svd.py (default: <workspace>/bench/reference).
    #[arg(long)]
    pub reference_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Part {
    Train,
    Analysis,
    Pipeline,
}

/// The sizes of one bench run.
#[derive(Debug, Clone, PartialEq)]
struct Plan {
    mode: &'static str,
    device: String,
    batch: u64,
    width: f64,
    precisions: Vec<Precision>,
    channels_last: bool,
    pairs: usize,
    warmup: usize,
    steps: usize,
    matrix_sets: Vec<MatrixSet>,
    pipeline_runs: usize,
    cifar_batches: usize,
    imagenet_images: usize,
}

impl Plan {
    fn new(args: &BenchArgs, has_cuda: bool) -> Result<Plan> {
        let device = match args.device.as_str() {
            "auto" if has_cuda => "cuda",
            "auto" | "cpu" => "cpu",
            "cuda" => "cuda",
            other => bail!("--device {other}: expected auto, cpu or cuda"),
        }
        .to_string();
        let cuda = device == "cuda";
        let (default_counts, pairs, warmup, steps) = if args.quick {
            ([8, 16], 3, 1, 4)
        } else {
            ([164, 164], 5, 2, 10)
        };
        let counts = args.matrices.map_or(default_counts, |n| [n, n]);
        Ok(Plan {
            mode: if args.quick { "quick" } else { "full" },
            batch: args.batch.unwrap_or(if cuda { 128 } else { 32 }),
            width: args.width.unwrap_or(if cuda { 1.0 } else { 0.25 }),
            precisions: match (&args.precisions[..], cuda) {
                ([], true) => vec![Precision::Fp32, Precision::Fp16, Precision::Bf16],
                ([], false) => vec![Precision::Fp32],
                (given, _) => given.to_vec(),
            },
            channels_last: args.channels_last,
            device,
            pairs: args.pairs.unwrap_or(pairs).max(1),
            warmup,
            steps,
            matrix_sets: vec![
                MatrixSet {
                    rows: 500,
                    cols: 16_384,
                    count: counts[0],
                },
                MatrixSet {
                    rows: 500,
                    cols: 4_096,
                    count: counts[1],
                },
            ],
            pipeline_runs: if args.quick { 3 } else { 5 },
            cifar_batches: if args.quick { 40 } else { 78 },
            imagenet_images: if args.quick { 48 } else { 128 },
        })
    }

    fn train_setups(&self, models: &[String]) -> Vec<TrainSetup> {
        models
            .iter()
            .flat_map(|model| {
                self.precisions.iter().map(|&precision| TrainSetup {
                    model: model.clone(),
                    batch: self.batch,
                    width: self.width,
                    device: self.device.clone(),
                    precision,
                    channels_last: self.channels_last,
                    warmup: self.warmup,
                    steps: self.steps,
                    pairs: self.pairs,
                })
            })
            .collect()
    }

    fn to_json(&self) -> Value {
        json!({
            "mode": self.mode,
            "device": self.device,
            "batch": self.batch,
            "width": self.width,
            "precisions": self.precisions.iter().map(|p| p.name()).collect::<Vec<_>>(),
            "channels_last": self.channels_last,
            "pairs": self.pairs,
            "warmup_steps": self.warmup,
            "timed_steps_per_run": self.steps,
            "matrices": self.matrix_sets.iter().map(MatrixSet::label).collect::<Vec<_>>(),
            "pipeline_runs": self.pipeline_runs,
        })
    }
}

pub fn run(args: &BenchArgs, env: &BuildEnv) -> Result<()> {
    let root = cmd::workspace_root();
    let python = match &args.python {
        Some(python) => python.clone(),
        None => sides::venv_python(&env.libtorch).with_context(|| {
            format!(
                "libtorch at {} is not inside a Python venv, so there is no PyTorch to compare \
                 with: pass --python /path/to/python (with torch {})",
                env.libtorch.display(),
                crate::setup::TORCH_VERSION
            )
        })?,
    };
    let plan = Plan::new(args, libtorch_has_cuda(&python))?;
    if args.only.contains(&Part::Analysis) {
        ensure_numpy(&python)?;
    }
    let sides = Sides {
        driver: match &args.driver {
            Some(driver) => driver.clone(),
            None => cmd::build_release_binary(env, ("deepskip-bench", "deepskip-bench"), "bench")?,
        },
        python: python.clone(),
        reference_dir: args
            .reference_dir
            .clone()
            .unwrap_or_else(|| root.join("bench").join("reference")),
        env: env.clone(),
    };
    let scratch = std::env::temp_dir().join(format!("deepskip-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let measured = measure(args, &plan, &sides, &scratch);
    // Only files this run generated live in the scratch folder.
    let _ = std::fs::remove_dir_all(&scratch);
    let mut report = measured?;
    report["machine"] = machine::facts(&python);
    let markdown = output::markdown(&report);
    let paths = output::write(&root.join(&args.out), &report, &markdown)?;
    print!("{markdown}");
    eprintln!(
        "xtask bench: wrote {} and {}",
        paths[0].display(),
        paths[1].display()
    );
    Ok(())
}

fn measure(args: &BenchArgs, plan: &Plan, sides: &Sides, scratch: &Path) -> Result<Value> {
    let started = std::time::Instant::now();
    let mut training: Vec<TrainResult> = Vec::new();
    if args.only.contains(&Part::Train) {
        for setup in plan.train_setups(&args.models) {
            training.push(train::run(sides, &setup)?);
        }
    }
    let mut analysis = Vec::new();
    if args.only.contains(&Part::Analysis) {
        for set in &plan.matrix_sets {
            analysis.push(condition::run(sides, set, plan.pairs, scratch)?);
        }
    }
    let fastest_training = training
        .iter()
        .filter_map(|t| median(&t.images_per_second.deepskip))
        .reduce(f64::max);
    let pipeline = if args.only.contains(&Part::Pipeline) {
        pipeline::run(
            sides,
            plan.pipeline_runs,
            plan.cifar_batches,
            plan.imagenet_images,
            scratch,
        )?
        .to_json(fastest_training)
    } else {
        Value::Null
    };
    let training: Vec<Value> = training.iter().map(TrainResult::to_json).collect();
    let notes = notes(&training, &analysis, &pipeline);
    Ok(json!({
        "mode": plan.mode,
        "plan": plan.to_json(),
        "seconds": started.elapsed().as_secs_f64(),
        "training": training,
        "analysis": analysis,
        "pipeline": pipeline,
        "notes": notes,
    }))
}

/// deepskip's throughput over the reference's that counts as "at least as fast".
pub const RATIO_TARGET: f64 = 1.0;
/// How many times the fastest training step's consumption the data pipeline must deliver.
pub const PIPELINE_TARGET: f64 = 10.0;

/// One line per missed target, pointing at the explanation in bench/README.md.
fn notes(training: &[Value], analysis: &[Value], pipeline: &Value) -> Vec<String> {
    let mut notes = Vec::new();
    let below = |value: &Value, target: f64| value.as_f64().filter(|r| *r < target);
    for (rows, see) in [
        (
            training,
            "bench/README.md (\"Where a training step's time goes\") and bench.md's phase table",
        ),
        (analysis, "bench/README.md"),
    ] {
        for row in rows {
            if let Some(ratio) = below(&row["median_ratio"], RATIO_TARGET) {
                notes.push(format!(
                    "{}: deepskip at {ratio:.2}x the reference, below the {RATIO_TARGET:.1} \
                     target; see {see}",
                    row["label"].as_str().unwrap_or("?")
                ));
            }
        }
    }
    if let Some(ratio) = below(&pipeline["cifar_over_training_ratio"], PIPELINE_TARGET) {
        notes.push(format!(
            "data pipeline only {ratio:.1}x the fastest training step's consumption (target \
             {PIPELINE_TARGET}x)"
        ));
    }
    notes
}

/// The environment of a bench run with a carried `--driver` (the GPU check, no setup): the
/// PyTorch install of `--python` provides libtorch, found by asking that Python.
pub fn carried_env(args: &BenchArgs) -> Result<BuildEnv> {
    let python = args
        .python
        .as_ref()
        .context("--driver needs --python (the Python whose torch the driver runs against)")?;
    let out = Command::new(python)
        .args([
            "-c",
            "import os, torch; print(os.path.dirname(torch.__file__))",
        ])
        .output()
        .with_context(|| format!("cannot run {}", python.display()))?;
    if !out.status.success() {
        bail!(
            "{} cannot import torch: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let torch = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    Ok(BuildEnv::from_process(&torch))
}

/// Installs numpy into the reference venv when it lacks it (the analysis comparison needs it).
pub(crate) fn ensure_numpy(python: &Path) -> Result<()> {
    let probe = Command::new(python).args(["-c", "import numpy"]).output();
    match probe {
        Ok(out) if out.status.success() => return Ok(()),
        Err(err) => bail!("cannot run {}: {err}; pass --python", python.display()),
        _ => {}
    }
    let mut install = Command::new(python);
    install.args(["-m", "pip", "install", "--quiet", "numpy"]);
    eprintln!("xtask bench: {}", cmd::display(&install));
    cmd::run_install(&mut install).context("installing numpy for the NumPy reference")
}

/// Whether libtorch itself can use a GPU here (not merely whether nvidia-smi sees one): the
/// PyTorch side runs the same libtorch 2.11.0 as deepskip's, whose CUDA backend is linked in
/// (crates/torch-link; checked by crates/cli/tests/cuda_link.rs).
fn libtorch_has_cuda(python: &Path) -> bool {
    Command::new(python)
        .args([
            "-c",
            "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)",
        ])
        .output()
        .is_ok_and(|out| out.status.success())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        bench: BenchArgs,
    }

    fn args(argv: &[&str]) -> BenchArgs {
        Wrapper::try_parse_from(std::iter::once("bench").chain(argv.iter().copied()))
            .unwrap()
            .bench
    }

    #[test]
    fn cpu_defaults_follow_the_issue() {
        let plan = Plan::new(&args(&["--quick"]), false).unwrap();
        assert_eq!(
            (plan.device.as_str(), plan.batch, plan.width),
            ("cpu", 32, 0.25)
        );
        assert_eq!(plan.matrix_sets[0].cols, 16_384);
        assert_eq!(
            plan.matrix_sets.iter().map(|s| s.count).collect::<Vec<_>>(),
            [8, 16]
        );
        let setups = plan.train_setups(&args(&[]).models);
        assert_eq!(setups.len(), 3);
        assert!(setups
            .iter()
            .all(|s| s.precision == Precision::Fp32 && !s.channels_last));
        let full = Plan::new(&args(&[]), false).unwrap();
        assert_eq!(
            full.matrix_sets.iter().map(|s| s.count).collect::<Vec<_>>(),
            [164, 164]
        );
    }

    #[test]
    fn cuda_runs_full_width_batch_128_in_fp32_fp16_and_bf16() {
        let plan = Plan::new(&args(&["--models", "resnet-164"]), true).unwrap();
        assert_eq!(
            (plan.device.as_str(), plan.batch, plan.width),
            ("cuda", 128, 1.0)
        );
        let precisions: Vec<Precision> = plan
            .train_setups(&["resnet-164".into()])
            .iter()
            .map(|s| s.precision)
            .collect();
        assert_eq!(
            precisions,
            [Precision::Fp32, Precision::Fp16, Precision::Bf16]
        );
        let chosen = Plan::new(&args(&["--precisions", "bf16", "--channels-last"]), true).unwrap();
        let setups = chosen.train_setups(&["resnet-164".into()]);
        assert_eq!(setups.len(), 1);
        assert!(setups[0].precision == Precision::Bf16 && setups[0].channels_last);
        assert!(Plan::new(&args(&["--device", "tpu"]), true).is_err());
    }

    #[test]
    fn notes_name_every_missed_target() {
        let rows = [
            json!({ "label": "slow", "median_ratio": 0.8 }),
            json!({ "label": "fast", "median_ratio": 1.2 }),
        ];
        let notes = notes(&rows, &[], &json!({ "cifar_over_training_ratio": 3.0 }));
        assert_eq!(notes.len(), 2);
        assert!(notes[0].starts_with("slow: deepskip at 0.80x"));
        assert!(notes[1].contains("3.0x"));
    }
}
