//! `deepskip train`: train one model on one data set into a run directory.

use anyhow::Context;
use clap::{Args, ValueEnum};
use deepskip_data::{DataSource, DatasetName};
use deepskip_models::{BnStats, Precision};
use deepskip_runs::schema::{BnOverflow, RunState};
use deepskip_train::{
    BatchSource, ImagenetFolders, LrSchedule, RunOptions, RunOutcome, SmallImages, TrainConfig,
    Warmup, WarmupCoverage, IMAGENET_DECAY_EVERY, IMAGENET_REFERENCE_BATCH,
};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Train a model with the paper's protocol (SGD, momentum 0.9, weight decay 1e-4, batch 128,
/// lr 0.1 decayed x0.1 at 50/75/90% of training, warm-up 0.01 for 400 steps), writing
/// config.json, metrics.jsonl, status.json and checkpoint/ into --out. A diverged run (NaN loss)
/// exits 0 with status "diverged"; Ctrl-C checkpoints and exits 130 (continue with --resume).
///
/// `--dataset imagenet:<dir>` trains on ImageNet folders with the usual ImageNet recipe instead:
/// 90 epochs, batch 256, lr 0.1 per 256 images (scaled linearly), x0.1 every 30 epochs, no
/// warm-up, top-1 and top-5 accuracy; every option still overrides it.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Model: plainnet|resnet|resnext|plainnext-<depth>, e.g. resnet-164, plainnet-164,
    /// resnext-164, resnet-101 (ImageNet depths 18/34/50/101/152 build the ImageNet variants).
    #[arg(long)]
    pub model: String,
    /// Data set: mnist, cifar10, cifar100, cifar100-coarse, idx:<dir> or imagenet:<dir>
    /// (`train/` and `val/` class folders).
    #[arg(long)]
    pub dataset: String,
    /// Run directory to create (or continue with --resume).
    #[arg(long)]
    pub out: PathBuf,
    /// Number of epochs (passes over the training split, or of --steps-per-epoch steps)
    /// [default: 200; ImageNet 90].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Mini-batch size, images per optimiser step [default: 128; ImageNet 256].
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Base learning rate, before schedule and warm-up [default: 0.1; ImageNet 0.1 x batch / 256].
    #[arg(long)]
    pub lr: Option<f64>,
    /// SGD momentum coefficient.
    #[arg(long, default_value_t = 0.9)]
    pub momentum: f64,
    /// Use Nesterov momentum [default: off].
    #[arg(long)]
    pub nesterov: bool,
    /// L2 weight decay coefficient (applied to every weight, BN and biases included, unless
    /// --no-decay-bn-bias).
    #[arg(long, default_value_t = 1e-4)]
    pub weight_decay: f64,
    /// Exempt BN scales/shifts and biases from weight decay [default: decay all, as the paper].
    #[arg(long)]
    pub no_decay_bn_bias: bool,
    /// Learning-rate schedule: step (x0.1 at 50%, 75%, 90% of all steps), step30 (x0.1 every 30
    /// epochs) or cosine (to 0) [default: step; ImageNet step30].
    #[arg(long, value_enum)]
    pub schedule: Option<ScheduleArg>,
    /// Side of the square ImageNet crops [default: 224]; ignored by other data sets.
    #[arg(long)]
    pub image_size: Option<u32>,
    /// Constant lr 0.01 for the first 400 steps (He et al.'s warm-up for very deep nets)
    /// [default: on; ImageNet off].
    #[arg(long, overrides_with = "no_warmup")]
    pub warmup: bool,
    /// Turn the warm-up off.
    #[arg(long, overrides_with = "warmup")]
    pub no_warmup: bool,
    /// Seed of initialisation, shuffling and augmentation.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Cap on optimiser steps per epoch [default: the whole training split, last partial batch dropped].
    #[arg(long)]
    pub steps_per_epoch: Option<usize>,
    /// Training images kept per class, first ones in file order [default: all].
    #[arg(long)]
    pub train_subset: Option<usize>,
    /// Test images kept per class for evaluation [default: the full test split].
    #[arg(long)]
    pub test_subset: Option<usize>,
    /// Multiply every channel count by this factor (e.g. 0.25 for CPU-sized runs).
    #[arg(long, default_value_t = 1.0)]
    pub width_multiplier: f64,
    /// Device: auto (first GPU if any, else CPU), cpu, cuda or cuda:N.
    #[arg(long, default_value = "auto")]
    pub device: String,
    /// Mixed precision (autocast) on CUDA; ignored on the CPU [default: off].
    #[arg(long)]
    pub amp: bool,
    /// Precision of weights, activations and gradients: f32 or f64 (about 5x slower on a CPU;
    /// BN statistics cannot overflow; excludes --amp). Checkpoints are saved in it.
    #[arg(long, default_value_t = Precision::F32)]
    pub precision: Precision,
    /// BN batch statistics: native (the network's precision) or f64 (the BN input cast to f64
    /// for mean, variance and normalisation, the output cast back).
    #[arg(long, default_value_t = BnStats::Native)]
    pub bn_stats: BnStats,

    /// Initialisation of the convolutions: he (the paper's) or delta-orthogonal (Xiao et al.
    /// 2018: zero kernels with an orthogonal centre tap).
    #[arg(long, default_value_t = deepskip_models::Init::He)]
    pub init: deepskip_models::Init,
    /// Continue the run in --out from its last checkpoint (same options required).
    #[arg(long)]
    pub resume: bool,
    /// Data directory (default: DEEPSKIP_DATA_DIR, else <workspace>/datasets).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Write a checkpoint every N epochs (the last epoch and interruptions always checkpoint).
    #[arg(long, default_value_t = 1)]
    pub checkpoint_every: usize,
}

/// `--schedule` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScheduleArg {
    Step,
    /// x0.1 every 30 epochs (the ImageNet recipe).
    Step30,
    Cosine,
}

impl TrainArgs {
    /// The ImageNet root of `--dataset imagenet:<dir>`.
    fn imagenet_root(&self) -> Option<PathBuf> {
        self.dataset.strip_prefix("imagenet:").map(PathBuf::from)
    }

    /// The run's configuration: paper.md's protocol, or the ImageNet recipe for ImageNet
    /// folders, with every option given on the command line applied over it.
    pub fn config(&self) -> TrainConfig {
        let imagenet = self.imagenet_root().is_some();
        let base = if imagenet {
            TrainConfig::imagenet(
                &self.model,
                &self.dataset,
                self.batch_size.unwrap_or(IMAGENET_REFERENCE_BATCH),
            )
        } else {
            TrainConfig::default()
        };
        let warmup = if imagenet {
            self.warmup && !self.no_warmup
        } else {
            !self.no_warmup
        };
        TrainConfig {
            model: self.model.clone(),
            width_multiplier: self.width_multiplier,
            dataset: self.dataset.clone(),
            epochs: self.epochs.unwrap_or(base.epochs),
            batch_size: self.batch_size.unwrap_or(base.batch_size),
            lr: self.lr.unwrap_or(base.lr),
            momentum: self.momentum,
            nesterov: self.nesterov,
            weight_decay: self.weight_decay,
            decay_bn_and_bias: !self.no_decay_bn_bias,
            schedule: match self.schedule {
                None => base.schedule,
                Some(ScheduleArg::Step) => LrSchedule::default(),
                Some(ScheduleArg::Step30) => LrSchedule::StepEvery {
                    epochs: IMAGENET_DECAY_EVERY,
                    gamma: 0.1,
                },
                Some(ScheduleArg::Cosine) => LrSchedule::Cosine,
            },
            warmup: warmup.then(Warmup::default),
            image_size: self.image_size,
            seed: self.seed,
            steps_per_epoch: self.steps_per_epoch,
            train_subset: self.train_subset,
            test_subset: self.test_subset,
            device: self.device.clone(),
            amp: self.amp,
            checkpoint_every: self.checkpoint_every,
            precision: self.precision,
            bn_stats: self.bn_stats,
            init: self.init,
            ..TrainConfig::default()
        }
    }

    fn train_on(
        &self,
        config: &TrainConfig,
        source: &dyn BatchSource,
        options: &RunOptions,
    ) -> anyhow::Result<RunOutcome> {
        if let Some(coverage) = deepskip_train::warmup_coverage(config, source)? {
            if let Some(warning) = warmup_warning(coverage, config.lr) {
                eprintln!("{warning}");
            }
        }
        Ok(deepskip_train::train_from(
            config, source, &self.out, options,
        )?)
    }

    pub fn run(self) -> anyhow::Result<ExitCode> {
        let config = self.config();
        config.validate()?;
        super::doctor::warn_if_auto_misses_gpu(self.device == "auto");
        let options = RunOptions {
            resume: self.resume,
            interrupt: Some(crate::interrupt::interrupt_flag()),
            progress: true,
            progress_group: None,
        };
        let outcome = match self.imagenet_root() {
            Some(root) => {
                let folders = ImagenetFolders::open(&root, &config)
                    .with_context(|| format!("opening ImageNet folders {}", root.display()))?;
                self.train_on(&config, &folders, &options)?
            }
            None => {
                let name: DatasetName = self.dataset.parse()?;
                let source = DataSource::from_env(self.data_dir.clone());
                let dataset = deepskip_data::load(&name, &source)
                    .with_context(|| format!("loading data set {name}"))?;
                self.train_on(&config, &SmallImages::new(&config, &dataset), &options)?
            }
        };
        let s = &outcome.status;
        eprintln!(
            "{}: {:?} after {} epoch(s), {} step(s){}; {} parameters",
            self.out.display(),
            s.state,
            s.epoch,
            s.step,
            s.reason
                .as_ref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default(),
            outcome.params
        );
        if let Some(o) = &outcome.bn_overflow {
            eprintln!("{}", bn_overflow_warning(o));
        }
        if let Some(m) = &outcome.final_metrics {
            let out = std::io::stdout();
            let line = serde_json::to_string(m)?;
            if out.is_terminal() {
                println!("final epoch: {line}");
            } else {
                println!("{line}");
            }
        }
        Ok(match s.state {
            RunState::Interrupted => ExitCode::from(130),
            _ => ExitCode::SUCCESS,
        })
    }
}

/// The one warning of a run whose BN statistics overflowed.
pub fn bn_overflow_warning(o: &BnOverflow) -> String {
    format!(
        "warning: BN batch statistics overflowed from step {} on (first at layer {}, {} layer(s), \
         {} step(s) of that epoch): the network's output there did not depend on its input; \
         see --precision f64 or --bn-stats f64",
        o.first_step, o.first_layer, o.layers, o.steps
    )
}

/// Warm-ups covering at least this share of the run get a warning: the `--lr` asked for is
/// then barely (or never) used.
const WARMUP_WARNING_SHARE: f64 = 0.5;

/// The warning for a warm-up that takes most or all of the run, naming the way out.
fn warmup_warning(coverage: WarmupCoverage, lr: f64) -> Option<String> {
    if coverage.fraction() < WARMUP_WARNING_SHARE {
        return None;
    }
    let effect = if coverage.covers_whole_run() {
        format!("--lr {lr:e} is never used")
    } else {
        format!(
            "--lr {lr:e} is used for only the last {} step(s)",
            coverage.total_steps - coverage.warmup_steps
        )
    };
    Some(format!(
        "warning: the warm-up covers {:.0}% of this run ({} of {} steps), so {effect}; pass \
         --no-warmup to train at --lr from the first step",
        100.0 * coverage.fraction(),
        coverage.warmup_steps,
        coverage.total_steps
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: TrainArgs,
    }

    #[test]
    fn a_warmup_covering_most_of_the_run_is_warned_about_naming_the_flag() {
        let whole = Warmup::default().coverage(20);
        let warning = warmup_warning(whole, 1e6).unwrap();
        assert!(
            warning.contains("100% of this run (20 of 20 steps)"),
            "{warning}"
        );
        assert!(warning.contains("never used") && warning.contains("--no-warmup"));
        let most = warmup_warning(Warmup::default().coverage(469), 0.1).unwrap();
        assert!(most.contains("last 69 step(s)"), "{most}");
        assert_eq!(
            warmup_warning(Warmup::default().coverage(78_200), 0.1),
            None
        );
    }

    #[test]
    fn defaults_are_the_paper_protocol() {
        let w = Wrapper::parse_from([
            "x",
            "--model",
            "resnet-164",
            "--dataset",
            "cifar10",
            "--out",
            "r",
        ]);
        let c = w.args.config();
        assert_eq!(
            (c.epochs, c.batch_size, c.lr, c.momentum),
            (200, 128, 0.1, 0.9)
        );
        assert_eq!(c.warmup, Some(Warmup::default()));
        assert!(c.decay_bn_and_bias && !c.nesterov);
        assert_eq!(c.schedule, LrSchedule::default());
    }

    #[test]
    fn reduced_run_options_reach_the_config() {
        let parse = |extra: &[&str]| {
            let mut args = vec![
                "x",
                "--model",
                "plainnet-20",
                "--dataset",
                "mnist",
                "--out",
                "r",
            ];
            args.extend_from_slice(extra);
            Wrapper::parse_from(args).args.config()
        };
        let c = parse(&[
            "--no-warmup",
            "--schedule",
            "cosine",
            "--steps-per-epoch",
            "5",
            "--train-subset",
            "10",
            "--width-multiplier",
            "0.25",
            "--no-decay-bn-bias",
        ]);
        assert_eq!(c.warmup, None);
        assert_eq!(c.schedule, LrSchedule::Cosine);
        assert_eq!((c.steps_per_epoch, c.train_subset), (Some(5), Some(10)));
        assert_eq!(c.width_multiplier, 0.25);
        assert!(!c.decay_bn_and_bias);
        assert_eq!((c.precision, c.bn_stats), (Precision::F32, BnStats::Native));
        let c = parse(&["--precision", "f64", "--bn-stats", "f64"]);
        assert_eq!((c.precision, c.bn_stats), (Precision::F64, BnStats::F64));
    }

    #[test]
    fn imagenet_folders_get_the_imagenet_recipe_unless_overridden() {
        let parse = |extra: &[&str]| {
            let mut args = vec![
                "x",
                "--model",
                "resnet-101",
                "--dataset",
                "imagenet:/data/in",
                "--out",
                "r",
            ];
            args.extend_from_slice(extra);
            Wrapper::parse_from(args).args.config()
        };
        let c = parse(&[]);
        assert_eq!(
            (c.epochs, c.batch_size, c.lr, c.warmup),
            (90, 256, 0.1, None)
        );
        assert_eq!(
            c.schedule,
            LrSchedule::StepEvery {
                epochs: 30,
                gamma: 0.1
            }
        );
        let c = parse(&[
            "--batch-size",
            "512",
            "--image-size",
            "128",
            "--schedule",
            "step",
        ]);
        assert_eq!((c.batch_size, c.lr, c.image_size), (512, 0.2, Some(128)));
        assert_eq!(c.schedule, LrSchedule::default());
    }
}
