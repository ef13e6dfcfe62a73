//! The training loop: epochs of seeded batches, evaluation, metrics, checkpoints, and the three
//! ways a run stops early (divergence, interruption) or ends (finished).

use crate::amp::LossScaler;
use crate::batch_source::{steps_per_epoch, BatchSource, SmallImages};
use crate::bn_overflow::BnOverflowTally;
use crate::checkpoint::{self, EpochTally, Position};
use crate::device::parse_device;
use crate::interrupt::Interrupt;
use crate::optimizer::{Sgd, SgdOptions};
use crate::progress::{EpochProgress, ProgressGroup};
use crate::seeding::seeded_network;
use crate::{
    MetricsLog, RecordedVersions, RunDir, StepObserver, StepOutcome, TrainConfig, TrainError,
};
use deepskip_data::Dataset;
use deepskip_models::{BnWatch, LayerSelection, ModelSpec, Network};
use deepskip_runs::schema::{BnOverflow, EpochMetrics, RunState, RunStatus};
use std::convert::Infallible;
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
    /// Set when several runs train at once: this run's bar joins theirs.
    pub progress_group: Option<ProgressGroup>,
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
    train_observed(config, source, run_dir, options, None)
}

/// [`train_from`] with `observer` shown the weights and gradients at the steps it wants (see
/// [`StepObserver`]); the run is the same as without it.
pub fn train_observed(
    config: &TrainConfig,
    source: &dyn BatchSource,
    run_dir: &Path,
    options: &RunOptions,
    observer: Option<&dyn StepObserver>,
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
    }
    let amp = config.amp && device.is_cuda() && spec.family.has_shortcuts();
    if config.amp && !amp && options.progress {
        eprintln!("note: {}", amp_declined(device, &spec));
    }

    let (mut vs, network) = seeded_network(&spec, config.seed, device)?;
    let network = network.with_bn_stats(config.bn_stats);
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
        progress_group: options.progress_group.clone(),
        scaler: amp.then(LossScaler::new),
        overflow_reported: std::cell::Cell::new(false),
        observer,
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
pub fn resolve_spec(
    config: &TrainConfig,
    (channels, classes): (i64, i64),
) -> Result<ModelSpec, TrainError> {
    Ok(ModelSpec::from_str(&config.model)?
        .with_width_multiplier(config.width_multiplier)?
        .with_input(channels, classes)?
        .with_init(config.init))
}

/// Why `--amp` trains in f32: CPU autocast is not used, and libtorch's CUDA autocast computes
/// in f16 (tch 0.24 cannot choose bf16), whose largest value, 65504, a plain network's
/// activations pass within a few steps (docs/reproduction.md): AMP would turn a run that trains
/// at chance in f32 into NaN.
fn amp_declined(device: Device, spec: &ModelSpec) -> String {
    if device.is_cuda() {
        format!(
            "mixed precision (amp) is not used for {}: CUDA autocast computes in f16, which a plain network's \
             activations overflow; training in f32",
            spec.name()
        )
    } else {
        "mixed precision (amp) has no effect on the CPU; training in f32".into()
    }
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
    progress_group: Option<ProgressGroup>,
    /// Loss scaling, with `--amp` on CUDA only (and never for plain networks: see
    /// [`amp_declined`]); its presence is what turns autocast on.
    scaler: Option<LossScaler>,
    /// Whether the overflow of a BN running statistic was already reported (once a run).
    overflow_reported: std::cell::Cell<bool>,
    observer: Option<&'a dyn StepObserver>,
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
                if let (Some(scaler), Some(saved)) = (self.scaler.as_mut(), manifest.loss_scaler) {
                    *scaler = saved;
                }
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
        self.observe_weights()?;
        self.settle(RunState::Finished, None)
    }

    /// Shows the observer the weights at the current step, if it wants them.
    fn observe_weights(&self) -> Result<(), TrainError> {
        let step = self.position.step;
        match self.observer {
            Some(o) if o.wants(step) => o.weights(step, &self.vs).map_err(observer_error(step)),
            _ => Ok(()),
        }
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
            self.scaler.as_ref(),
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
        // Batches depend on (seed, epoch) only, and no step draws from libtorch's generator.
        let batches = self.source.train_epoch(epoch);
        let skip = self.position.batch_in_epoch;
        let mut tally = if skip > 0 {
            self.position.partial
        } else {
            EpochTally::default()
        };
        let mut sums = RunningSums::start(&tally, self.device);
        let progress = EpochProgress::start(
            self.progress,
            epoch,
            config.epochs,
            steps,
            skip,
            self.progress_group.as_ref(),
        );
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
            self.observe_weights()?;
            let (images, labels) = batch.to_tensors(self.device);
            let images = images.to_kind(config.precision.kind());
            let logits = self.forward_watched(&images, &watch);
            overflow.add_step(&watch, layer_count, self.position.step + 1);
            let loss = logits
                .to_kind(config.precision.kind())
                .cross_entropy_for_logits(&labels);
            let Some(outcome) = self.backward_and_step(&loss, lr)? else {
                progress.abandon();
                return Ok(EpochEnd::Diverged(format!(
                    "training loss became {} at epoch {epoch}, step {} (lr {lr})",
                    loss.double_value(&[]),
                    self.position.step + 1
                )));
            };
            if outcome.is_skipped() {
                tally.skipped_steps += 1;
            }

            let n = labels.size()[0] as u64;
            let loss_total = loss.detach().to_kind(Kind::Double) * n as f64;
            sums.add(&loss_total, &logits, &labels, self.source.top5());
            tally.seen += n;
            tally.steps += 1;
            tally.seconds = prior_seconds + started.elapsed().as_secs_f64();
            self.position.step += 1;
            self.position.batch_in_epoch = index + 1;
            let interrupted = self.interrupt.requested() && index + 1 < steps;
            if interrupted || progress.wants_numbers(tally.steps) {
                sums.read_into(&mut tally)?;
                progress.show(
                    tally.loss_sum / tally.seen as f64,
                    tally.correct as f64 / tally.seen as f64,
                    tally.seen as f64 / tally.seconds.max(1e-9),
                );
            }
            progress.step();
            if interrupted {
                progress.abandon();
                self.position.partial = tally;
                return Ok(EpochEnd::Interrupted);
            }
        }
        sums.read_into(&mut tally)?;
        if let Some(reason) = no_update_applied(&tally, epoch) {
            progress.abandon();
            return Ok(EpochEnd::Diverged(reason));
        }
        let eval_started = Instant::now();
        let test = self.evaluate()?;
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

    /// The logits, under autocast only when mixed precision is on (autocast's enable/query
    /// calls are deprecated in libtorch 2.11 and warn on every call).
    fn forward(&self, images: &Tensor, train: bool) -> Tensor {
        if self.scaler.is_some() {
            tch::autocast(true, || self.network.forward_t(images, train))
        } else {
            self.network.forward_t(images, train)
        }
    }

    /// The training-mode forward pass, recording each BN layer's health in `watch`.
    fn forward_watched(&self, images: &Tensor, watch: &BnWatch) -> Tensor {
        let no_taps = LayerSelection::Only(Vec::new());
        let pass = || {
            let Ok(logits) = self.network.forward_watched::<Infallible>(
                images,
                true,
                &no_taps,
                &mut |_| Ok(()),
                watch,
            );
            logits
        };
        if self.scaler.is_some() {
            tch::autocast(true, pass)
        } else {
            pass()
        }
    }

    /// Backward pass of `loss` and, when every gradient is finite, the update at `lr`, with one
    /// device read for both verdicts. `None` when the loss itself is not finite (the run has
    /// diverged; nothing was updated).
    fn backward_and_step(
        &mut self,
        loss: &Tensor,
        lr: f64,
    ) -> Result<Option<StepOutcome>, TrainError> {
        self.sgd.zero_grad();
        let scale = match &self.scaler {
            Some(scaler) => {
                let scale = scaler.scale();
                (loss * scale).backward();
                scale
            }
            None => {
                loss.backward();
                1.0
            }
        };
        let flags =
            Tensor::stack(&[loss.isfinite(), self.sgd.grads_finite_flag()], 0).to_kind(Kind::Int64);
        let flags = Vec::<i64>::try_from(&flags)
            .map_err(TrainError::torch("reading the step's finiteness flags"))?;
        let (loss_finite, grads_finite) = (flags[0] != 0, flags[1] != 0);
        if !loss_finite {
            return Ok(None);
        }
        if let Some(scaler) = self.scaler.as_mut() {
            scaler.update(grads_finite);
        }
        if let Some(o) = self.observer.filter(|o| o.wants(self.position.step)) {
            let step = self.position.step;
            o.gradients(step, &self.vs, scale)
                .map_err(observer_error(step))?;
        }
        let outcome = StepOutcome::from_grads_finite(grads_finite);
        if !outcome.is_skipped() {
            self.sgd.step(lr, scale);
        }
        Ok(Some(outcome))
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
    fn evaluate(&self) -> Result<Evaluation, TrainError> {
        let _no_grad = tch::no_grad_guard();
        let mut tally = EpochTally::default();
        let mut sums = RunningSums::start(&tally, self.device);
        for batch in self.source.eval().filter(|b| !b.is_empty()) {
            let (images, labels) = batch.to_tensors(self.device);
            let images = images.to_kind(self.config.precision.kind());
            let logits = self
                .forward(&images, false)
                .to_kind(self.config.precision.kind());
            let loss_total = logits
                .cross_entropy_loss::<Tensor>(&labels, None, Reduction::Sum, -100, 0.0)
                .to_kind(Kind::Double);
            sums.add(&loss_total, &logits, &labels, self.source.top5());
            tally.seen += labels.size()[0] as u64;
        }
        sums.read_into(&mut tally)?;
        let seen = tally.seen.max(1) as f64;
        let loss = tally.loss_sum / seen;
        Ok(Evaluation {
            loss: if loss.is_finite() { loss } else { f64::MAX },
            acc: tally.correct as f64 / seen,
            top5: self.source.top5().then(|| tally.correct_top5 as f64 / seen),
        })
    }
}

fn observer_error(step: u64) -> impl FnOnce(crate::ObserverError) -> TrainError {
    move |e| TrainError::Observer {
        step,
        message: e.to_string(),
    }
}

/// What one pass over the test split measured.
struct Evaluation {
    loss: f64,
    acc: f64,
    top5: Option<f64>,
}

/// The divergence reason for an epoch in which no update was applied: every step's gradients
/// were non-finite, so the weights never moved and the run cannot be called finished.
fn no_update_applied(tally: &EpochTally, epoch: usize) -> Option<String> {
    (tally.steps > 0 && tally.skipped_steps == tally.steps).then(|| {
        format!(
            "every one of the {} steps of epoch {epoch} had non-finite gradients and was \
             skipped: no update was applied",
            tally.steps
        )
    })
}

/// An epoch's (or an evaluation's) loss sum and hit counts, kept on the device so that a step
/// never waits for its own numbers; read back once per logging interval and at the end. The
/// loss sum is in f64, added in the same order as the host sum it replaces, so the metrics are
/// the same to the last digit.
struct RunningSums {
    loss: Tensor,
    correct: Tensor,
    correct_top5: Tensor,
}

impl RunningSums {
    /// Sums continuing `tally`'s (an epoch resumed midway).
    fn start(tally: &EpochTally, device: Device) -> Self {
        let count = |n: u64| Tensor::scalar_tensor(n as i64, (Kind::Int64, device));
        Self {
            loss: Tensor::scalar_tensor(tally.loss_sum, (Kind::Double, device)),
            correct: count(tally.correct),
            correct_top5: count(tally.correct_top5),
        }
    }

    /// Adds one batch: `loss_total` is its summed loss (f64), `logits` and `labels` give the
    /// hits; top-5 hits only when `top5`.
    fn add(&mut self, loss_total: &Tensor, logits: &Tensor, labels: &Tensor, top5: bool) {
        self.loss += loss_total;
        self.correct += correct(logits, labels);
        if top5 {
            self.correct_top5 += correct_top5(logits, labels);
        }
    }

    /// Copies the sums into `tally` (one device read).
    fn read_into(&self, tally: &mut EpochTally) -> Result<(), TrainError> {
        let both = Tensor::stack(
            &[
                self.loss.shallow_clone(),
                self.correct.to_kind(Kind::Double),
                self.correct_top5.to_kind(Kind::Double),
            ],
            0,
        );
        let values = Vec::<f64>::try_from(&both)
            .map_err(TrainError::torch("reading the running loss and accuracy"))?;
        tally.loss_sum = values[0];
        tally.correct = values[1] as u64;
        tally.correct_top5 = values[2] as u64;
        Ok(())
    }
}

/// Samples whose highest logit is their label's, as an `i64` scalar on the logits' device.
fn correct(logits: &Tensor, labels: &Tensor) -> Tensor {
    logits.argmax(-1, false).eq_tensor(labels).sum(Kind::Int64)
}

/// Samples whose label is among the 5 highest logits (all of them when there are <= 5 classes),
/// as an `i64` scalar on the logits' device.
fn correct_top5(logits: &Tensor, labels: &Tensor) -> Tensor {
    let k = logits.size().last().copied().unwrap_or(1).min(5);
    let (_, top) = logits.topk(k, -1, true, false);
    top.eq_tensor(&labels.unsqueeze(-1))
        .any_dim(-1, false)
        .sum(Kind::Int64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(t: Tensor) -> i64 {
        t.int64_value(&[])
    }

    /// Seven classes, three samples: label ranked 1st, 5th and 6th among the logits.
    #[test]
    fn top_k_hits_with_known_logits_over_more_than_five_classes() {
        let logits = Tensor::from_slice(&[
            9.0f32, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, // label 0: rank 1
            7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, // label 4: rank 5
            1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, // label 1: rank 6
        ])
        .view([3, 7]);
        let labels = Tensor::from_slice(&[0i64, 4, 1]);
        assert_eq!(count(correct(&logits, &labels)), 1);
        assert_eq!(count(correct_top5(&logits, &labels)), 2);
        // Label 5 of the last sample is ranked 2nd: a top-5 hit but not a top-1 one.
        let labels = Tensor::from_slice(&[6i64, 0, 5]);
        assert_eq!(count(correct(&logits, &labels)), 1);
        assert_eq!(count(correct_top5(&logits, &labels)), 3);
    }

    /// The sums kept on the device and read once equal the per-step numbers read and added on
    /// the host (what the loop did before): the loss to the last bit, the hits exactly, also
    /// when the epoch resumes from a partial tally.
    #[test]
    fn sums_kept_on_the_device_equal_the_per_step_ones() {
        let resumed_from = EpochTally {
            loss_sum: 1.25,
            correct: 3,
            correct_top5: 4,
            ..EpochTally::default()
        };
        let mut sums = RunningSums::start(&resumed_from, Device::Cpu);
        let mut host = resumed_from;
        for step in 0..5i64 {
            let logits = Tensor::randn([6, 7], (Kind::Float, Device::Cpu));
            let labels = Tensor::randint(7, [6], (Kind::Int64, Device::Cpu));
            let loss = logits.cross_entropy_for_logits(&labels);
            let loss_total = loss.to_kind(Kind::Double) * 6.0;
            sums.add(&loss_total, &logits, &labels, step % 2 == 0);
            host.loss_sum += loss_total.double_value(&[]);
            host.correct += count(correct(&logits, &labels)) as u64;
            if step % 2 == 0 {
                host.correct_top5 += count(correct_top5(&logits, &labels)) as u64;
            }
        }
        let mut read = EpochTally::default();
        sums.read_into(&mut read).unwrap();
        assert_eq!(read.loss_sum.to_bits(), host.loss_sum.to_bits());
        assert_eq!(
            (read.correct, read.correct_top5),
            (host.correct, host.correct_top5)
        );
        // Top-5 of 7 classes over 18 samples: some hit (chance 1 - (2/7)^18).
        assert!(read.correct_top5 > 4, "{read:?}");
    }

    #[test]
    fn an_epoch_without_one_applied_update_is_a_divergence() {
        let tally = |steps, skipped_steps| EpochTally {
            steps,
            skipped_steps,
            ..EpochTally::default()
        };
        let reason = no_update_applied(&tally(31, 31), 4).expect("diverged");
        assert!(
            reason.contains("31 steps of epoch 4") && reason.contains("non-finite"),
            "{reason}"
        );
        assert_eq!(no_update_applied(&tally(31, 30), 4), None);
        assert_eq!(no_update_applied(&tally(0, 0), 1), None);
    }
}
