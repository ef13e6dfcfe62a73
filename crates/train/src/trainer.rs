//! The training loop: epochs of seeded batches, evaluation, metrics, checkpoints, and the three
//! ways a run stops early (divergence, interruption) or ends (finished).

use crate::amp::LossScaler;
use crate::batch_source::{steps_per_epoch, BatchSource, SmallImages};
use crate::bn_overflow::BnOverflowTally;
use crate::checkpoint::{self, EpochTally, Position};
use crate::device::parse_device;
use crate::interrupt::Interrupt;
use crate::optimizer::{Sgd, SgdOptions};
use crate::progress::EpochProgress;
use crate::{MetricsLog, RecordedVersions, RunDir, TrainConfig, TrainError};
use deepskip_data::Dataset;
use deepskip_models::{BnWatch, LayerSelection, ModelSpec, Network};
use deepskip_report::schema::{BnOverflow, EpochMetrics, RunState, RunStatus};
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;
use tch::nn::{ModuleT, VarStore};
use tch::{Cuda, Device, Kind, Reduction, Tensor};

/// How [`train`] runs, beyond the configuration.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Continue the run in `run_dir` from its last checkpoint (or start it when there is none).
    pub resume: bool,
    /// Set (e.g. by a Ctrl-C handler) to stop after the current step with a checkpoint.
    pub interrupt: Option<Arc<AtomicBool>>,
    /// Show a progress bar (terminal) or one line per epoch (otherwise) on stderr.
    pub progress: bool,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    pub status: RunStatus,
    /// The last completed epoch's metrics, if any epoch completed.
    pub final_metrics: Option<EpochMetrics>,
    /// The first recorded epoch in which a BN layer's statistics overflowed, if any did: the
    /// network's output from that layer on did not depend on its input at those steps.
    pub bn_overflow: Option<BnOverflow>,
    /// Trainable parameters of the model.
    pub params: u64,
}

/// Trains `config`'s model on `dataset`, writing the run directory `run_dir`.
///
/// Divergence and interruption are outcomes, not errors; errors are bad configurations,
/// conflicting run directories, unusable checkpoints and I/O failures.
pub fn train(
    config: &TrainConfig,
    dataset: &Dataset,
    run_dir: &Path,
    options: &RunOptions,
) -> Result<RunOutcome, TrainError> {
    config.validate()?;
    train_from(config, &SmallImages::new(config, dataset), run_dir, options)
}

/// Trains `config`'s model on the batches of `source` (e.g. [`crate::ImagenetFolders`]),
/// writing the run directory `run_dir`; [`train`] for in-memory data sets.
pub fn train_from(
    config: &TrainConfig,
    source: &dyn BatchSource,
    run_dir: &Path,
    options: &RunOptions,
) -> Result<RunOutcome, TrainError> {
    config.validate()?;
    let device = parse_device(&config.device)?;
    let spec = resolve_spec(config, source.input())?;
    let steps_per_epoch = steps_per_epoch(config, source)?;
    let mut recorded = config.clone();
    recorded.versions = RecordedVersions::detect();
    recorded.versions.device_used = Some(format!("{device:?}"));
    recorded.resolved_spec = Some(spec.clone());
    let dir = RunDir::new(run_dir);
    let resuming = dir.prepare(&recorded, options.resume)?;
    if device.is_cuda() {
        Cuda::cudnn_set_benchmark(true);
    } else if config.amp && options.progress {
        eprintln!("note: --amp has no effect on the CPU; training in f32");
    }

    tch::manual_seed(config.seed as i64);
    let mut vs = VarStore::new(device);
    let network = Network::new(&vs.root(), &spec)?.with_bn_stats(config.bn_stats);
    // Initialised in f32 and converted, so both precisions start from the same weights.
    vs.set_kind(config.precision.kind());
    let sgd = Sgd::new(&vs, sgd_options(config));
    let metrics = MetricsLog::new(dir.metrics_path());
    let mut trainer = Trainer {
        config,
        source,
        steps_per_epoch,
        device,
        vs,
        network,
        sgd,
        metrics,
        dir,
        position: Position::default(),
        interrupt: Interrupt::new(options.interrupt.clone()),
        progress: options.progress,
        scaler: (config.amp && device.is_cuda()).then(LossScaler::new),
        overflow_reported: std::cell::Cell::new(false),
    };
    let status = match trainer.restore(resuming)? {
        Some(settled) => settled,
        None => trainer.run()?,
    };
    let mut metrics = trainer.metrics.read()?;
    Ok(RunOutcome {
        status,
        bn_overflow: metrics.iter().find_map(|m| m.bn_overflow.clone()),
        final_metrics: metrics.pop(),
        params: spec.param_count(),
    })
}

/// The model spec string, widened and fitted to the data's `(channels, classes)`.
pub(crate) fn resolve_spec(
    config: &TrainConfig,
    (channels, classes): (i64, i64),
) -> Result<ModelSpec, TrainError> {
    Ok(ModelSpec::from_str(&config.model)?
        .with_width_multiplier(config.width_multiplier)?
        .with_input(channels, classes)?)
}

fn sgd_options(config: &TrainConfig) -> SgdOptions {
    SgdOptions {
        momentum: config.momentum,
        nesterov: config.nesterov,
        weight_decay: config.weight_decay,
        decay_bn_and_bias: config.decay_bn_and_bias,
    }
}

/// How one epoch ended.
enum EpochEnd {
    Completed(EpochMetrics),
    Interrupted,
    Diverged(String),
}

struct Trainer<'a> {
    config: &'a TrainConfig,
    source: &'a dyn BatchSource,
    steps_per_epoch: usize,
    device: Device,
    vs: VarStore,
    network: Network,
    sgd: Sgd,
    metrics: MetricsLog,
    dir: RunDir,
    position: Position,
    interrupt: Interrupt,
    progress: bool,
    /// Loss scaling, with `--amp` on CUDA only.
    scaler: Option<LossScaler>,
    /// Whether the overflow of a BN running statistic was already reported (once a run).
    overflow_reported: std::cell::Cell<bool>,
}

impl Trainer<'_> {
    /// Loads the last checkpoint when resuming and trims metrics to it. Returns the recorded
    /// status when the run is already settled (finished or diverged) and must not train again.
    fn restore(&mut self, resuming: bool) -> Result<Option<RunStatus>, TrainError> {
        if resuming {
            if let Ok(status) = self.dir.read_status() {
                if matches!(status.state, RunState::Finished | RunState::Diverged) {
                    return Ok(Some(status));
                }
            }
            let ck = self.dir.checkpoint_dir();
            if let Some(manifest) = checkpoint::read_manifest(&ck)? {
                checkpoint::restore_model(&ck, &manifest, &self.vs)?;
                checkpoint::restore_momentum(&ck, &manifest, &mut self.sgd)?;
                self.position = manifest.position;
            }
        }
        self.metrics.truncate_after(self.position.epochs_done)?;
        Ok(None)
    }

    fn run(&mut self) -> Result<RunStatus, TrainError> {
        let epochs = self.config.epochs;
        self.dir
            .write_status(&self.status(RunState::Running, None))?;
        while self.position.epochs_done < epochs {
            let epoch = self.position.epochs_done + 1;
            match self.run_epoch(epoch)? {
                EpochEnd::Completed(m) => {
                    self.metrics.append(&m)?;
                    self.position = Position {
                        epochs_done: epoch,
                        step: m.step,
                        ..Position::default()
                    };
                    let stop = self.interrupt.requested() && epoch < epochs;
                    let state = match (stop, epoch == epochs) {
                        (true, _) => RunState::Interrupted,
                        (false, true) => RunState::Finished,
                        (false, false) => RunState::Running,
                    };
                    if stop || epoch == epochs || epoch % self.config.checkpoint_every == 0 {
                        if let Some(diverged) = self.checkpoint_or_diverge(state, None)? {
                            return Ok(diverged);
                        }
                    }
                    if stop {
                        return self.settle(RunState::Interrupted, Some("interrupted".into()));
                    }
                }
                EpochEnd::Interrupted => {
                    let reason = Some(format!("interrupted during epoch {epoch}"));
                    if let Some(diverged) =
                        self.checkpoint_or_diverge(RunState::Interrupted, reason.clone())?
                    {
                        return Ok(diverged);
                    }
                    return self.settle(RunState::Interrupted, reason);
                }
                EpochEnd::Diverged(reason) => {
                    // The last good checkpoint stays as it is.
                    return self.settle(RunState::Diverged, Some(reason));
                }
            }
        }
        self.settle(RunState::Finished, None)
    }

    fn status(&self, state: RunState, reason: Option<String>) -> RunStatus {
        RunStatus {
            state,
            epoch: self.position.epochs_done,
            step: self.position.step,
            reason,
        }
    }

    fn settle(&self, state: RunState, reason: Option<String>) -> Result<RunStatus, TrainError> {
        let status = self.status(state, reason);
        self.dir.write_status(&status)?;
        Ok(status)
    }

    /// Writes a checkpoint unless a trainable weight has become non-finite: then the previous
    /// checkpoint stays the last good one and the run is diverged. BN running statistics may
    /// overflow f32 while every weight and the loss stay finite (a deep PlainNet's activations
    /// grow past 1e16): that run still trains, at chance, which is the paper's result, so it is
    /// checkpointed with a warning rather than called diverged; its eval-mode numbers are then
    /// meaningless, and the analysis uses batch statistics.
    fn checkpoint(&self, status: &RunStatus) -> Result<(), TrainError> {
        let non_finite = self.non_finite_variables(true);
        if let Some(first) = non_finite.first() {
            return Err(TrainError::NonFiniteWeights {
                step: self.position.step,
                count: non_finite.len(),
                first: first.clone(),
            });
        }
        if !self.overflow_reported.get() {
            if let Some(first) = self.non_finite_variables(false).first() {
                self.overflow_reported.set(true);
                eprintln!(
                    "warning: BN running statistics overflowed by step {} (first {first}); \
                     eval-mode test numbers of this run are not meaningful",
                    self.position.step
                );
            }
        }
        checkpoint::save(
            &self.dir.checkpoint_dir(),
            &self.vs,
            &self.sgd,
            &self.position,
            status,
        )
        .map(|_| ())
    }

    /// Checkpoints with `state`; when the weights are no longer finite, settles the run as
    /// diverged instead and returns that status.
    fn checkpoint_or_diverge(
        &self,
        state: RunState,
        reason: Option<String>,
    ) -> Result<Option<RunStatus>, TrainError> {
        match self.checkpoint(&self.status(state, reason)) {
            Ok(()) => Ok(None),
            Err(e @ TrainError::NonFiniteWeights { .. }) => self
                .settle(RunState::Diverged, Some(e.to_string()))
                .map(Some),
            Err(e) => Err(e),
        }
    }

    /// Names of the variables holding a NaN or infinity: the trainable weights only, or
    /// everything else (BN running statistics), sorted.
    fn non_finite_variables(&self, trainable: bool) -> Vec<String> {
        let mut names: Vec<String> = tch::no_grad(|| {
            self.vs
                .variables()
                .into_iter()
                .filter(|(_, t)| t.requires_grad() == trainable)
                .filter(|(_, t)| t.isfinite().all().int64_value(&[]) == 0)
                .map(|(name, _)| name)
                .collect()
        });
        names.sort();
        names
    }

    fn run_epoch(&mut self, epoch: usize) -> Result<EpochEnd, TrainError> {
        let config = self.config;
        let steps = self.steps_per_epoch;
        // Batches depend on (seed, epoch) only; torch-side randomness is reseeded per epoch.
        tch::manual_seed(config.seed.wrapping_add(epoch as u64) as i64);
        let batches = self.source.train_epoch(epoch);
        let skip = self.position.batch_in_epoch;
        let mut tally = if skip > 0 {
            self.position.partial
        } else {
            EpochTally::default()
        };
        let progress = EpochProgress::start(self.progress, epoch, config.epochs, steps, skip);
        let started = Instant::now();
        let prior_seconds = tally.seconds;
        let mut lr = self.lr_at(self.position.step);
        let watch = BnWatch::new();
        let mut overflow = BnOverflowTally::default();
        let layer_count = self.network.layers().len();
        for (index, batch) in batches.enumerate().take(steps).skip(skip) {
            lr = self.lr_at(self.position.step);
            if batch.is_empty() {
                continue; // every image of the batch was undecodable (reported by the source)
            }
            let (images, labels) = batch.to_tensors(self.device);
            let images = images.to_kind(config.precision.kind());
            let logits = tch::autocast(self.scaler.is_some(), || {
                let no_taps = LayerSelection::Only(Vec::new());
                self.network
                    .forward_watched(&images, true, &no_taps, &mut |_| {}, &watch)
            });
            overflow.add_step(&watch, layer_count, self.position.step + 1);
            let loss = logits
                .to_kind(config.precision.kind())
                .cross_entropy_for_logits(&labels);
            let loss_value = loss.double_value(&[]);
            if !loss_value.is_finite() {
                progress.abandon();
                return Ok(EpochEnd::Diverged(format!(
                    "training loss became {loss_value} at epoch {epoch}, step {} (lr {lr})",
                    self.position.step + 1
                )));
            }
            self.sgd.zero_grad();
            let outcome = match self.scaler.as_mut() {
                Some(scaler) => {
                    let scale = scaler.scale();
                    (&loss * scale).backward();
                    let outcome = self.sgd.step_if_finite(lr, scale);
                    scaler.update(!outcome.is_skipped());
                    outcome
                }
                None => {
                    loss.backward();
                    self.sgd.step_if_finite(lr, 1.0)
                }
            };
            if outcome.is_skipped() {
                tally.skipped_steps += 1;
            }

            let n = labels.size()[0] as u64;
            tally.loss_sum += loss_value * n as f64;
            tally.correct += correct(&logits, &labels);
            if self.source.top5() {
                tally.correct_top5 += correct_top5(&logits, &labels);
            }
            tally.seen += n;
            tally.seconds = prior_seconds + started.elapsed().as_secs_f64();
            self.position.step += 1;
            self.position.batch_in_epoch = index + 1;
            progress.step(
                tally.loss_sum / tally.seen as f64,
                tally.correct as f64 / tally.seen as f64,
                tally.seen as f64 / tally.seconds.max(1e-9),
            );
            if self.interrupt.requested() && index + 1 < steps {
                progress.abandon();
                self.position.partial = tally;
                return Ok(EpochEnd::Interrupted);
            }
        }
        let eval_started = Instant::now();
        let test = self.evaluate();
        let seen = tally.seen.max(1) as f64;
        let metrics = EpochMetrics {
            epoch,
            step: self.position.step,
            train_loss: tally.loss_sum / seen,
            train_acc: tally.correct as f64 / seen,
            test_loss: test.loss,
            test_acc: test.acc,
            lr,
            seconds: tally.seconds + eval_started.elapsed().as_secs_f64(),
            images_per_sec: tally.seen as f64 / tally.seconds.max(1e-9),
            train_top5: self.source.top5().then(|| tally.correct_top5 as f64 / seen),
            test_top5: test.top5,
            skipped_steps: tally.skipped_steps,
            bn_overflow: overflow.finish(),
        };
        progress.finish(&metrics);
        Ok(EpochEnd::Completed(metrics))
    }

    fn lr_at(&self, step: u64) -> f64 {
        let c = self.config;
        c.schedule.lr_at(
            c.lr,
            c.warmup.as_ref(),
            step,
            self.steps_per_epoch as u64,
            c.epochs,
        )
    }

    /// Mean loss, accuracy and (when the source asks for it) top-5 accuracy on the test
    /// split in eval mode. A non-finite loss (logits that overflowed) is recorded as
    /// `f64::MAX`, since JSON has no infinity.
    fn evaluate(&self) -> Evaluation {
        let _no_grad = tch::no_grad_guard();
        let (mut loss_sum, mut hits, mut hits_top5, mut seen) = (0.0, 0u64, 0u64, 0u64);
        for batch in self.source.eval().filter(|b| !b.is_empty()) {
            let (images, labels) = batch.to_tensors(self.device);
            let images = images.to_kind(self.config.precision.kind());
            let logits = tch::autocast(self.scaler.is_some(), || {
                self.network.forward_t(&images, false)
            })
            .to_kind(self.config.precision.kind());
            loss_sum += logits
                .cross_entropy_loss::<Tensor>(&labels, None, Reduction::Sum, -100, 0.0)
                .double_value(&[]);
            hits += correct(&logits, &labels);
            if self.source.top5() {
                hits_top5 += correct_top5(&logits, &labels);
            }
            seen += labels.size()[0] as u64;
        }
        let seen = seen.max(1) as f64;
        let loss = loss_sum / seen;
        Evaluation {
            loss: if loss.is_finite() { loss } else { f64::MAX },
            acc: hits as f64 / seen,
            top5: self.source.top5().then(|| hits_top5 as f64 / seen),
        }
    }
}

/// What one pass over the test split measured.
struct Evaluation {
    loss: f64,
    acc: f64,
    top5: Option<f64>,
}

fn correct(logits: &Tensor, labels: &Tensor) -> u64 {
    logits
        .argmax(-1, false)
        .eq_tensor(labels)
        .sum(Kind::Int64)
        .int64_value(&[]) as u64
}

/// Samples whose label is among the 5 highest logits (all of them when there are <= 5 classes).
fn correct_top5(logits: &Tensor, labels: &Tensor) -> u64 {
    let k = logits.size().last().copied().unwrap_or(1).min(5);
    let (_, top) = logits.topk(k, -1, true, false);
    top.eq_tensor(&labels.unsqueeze(-1))
        .any_dim(-1, false)
        .sum(Kind::Int64)
        .int64_value(&[]) as u64
}
