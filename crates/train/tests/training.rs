//! End-to-end checks of the training loop on a generated 4-class, 1x8x8 image set and the
//! smallest networks (depth 8, width x0.5), a few steps each on the CPU.

use deepskip_data::{Augmentation, Dataset, DatasetName, ImageSet, ImageShape, Normalization};
use deepskip_models::{BnStats, ModelSpec, Network, Precision};
use deepskip_runs::schema::{EpochMetrics, RunState};
use deepskip_train::checkpoint::{EpochTally, Position};
use deepskip_train::{
    load_trained, seeded_network, train, warmup_coverage, LrSchedule, MetricsLog, RunDir,
    RunOptions, RunOutcome, Sgd, SgdOptions, SmallImages, StepOutcome, TrainConfig, TrainError,
    Warmup,
};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::sync::{Mutex, MutexGuard};
use tch::nn::{ModuleT, VarStore};
use tch::{Device, Tensor};

const SHAPE: ImageShape = ImageShape {
    channels: 1,
    height: 8,
    width: 8,
};
const CLASSES: usize = 4;

/// Class `c` is a bright 4x4 quadrant `c` on a noisy background: learnable in a few steps.
/// libtorch's generator is global and tests run on parallel threads: a run seeded in one test
/// must not initialise while another test draws, or "same seed" would not mean same weights.
fn serial() -> MutexGuard<'static, ()> {
    static SEEDED: Mutex<()> = Mutex::new(());
    SEEDED.lock().unwrap_or_else(|e| e.into_inner())
}

fn image_set(per_class: usize, salt: u64) -> ImageSet {
    let mut images = Vec::new();
    let mut labels = Vec::new();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ salt;
    for i in 0..per_class * CLASSES {
        let class = i % CLASSES;
        for y in 0..8 {
            for x in 0..8 {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let noise = (state >> 59) as u8; // 0..31
                let quadrant = (y / 4) * 2 + x / 4;
                images.push(if quadrant == class {
                    200 + noise
                } else {
                    noise
                });
            }
        }
        labels.push(class as u16);
    }
    ImageSet::new(images, labels, SHAPE, CLASSES).unwrap()
}

fn dataset() -> Dataset {
    let train = image_set(16, 1);
    Dataset {
        name: DatasetName::Mnist,
        normalization: Normalization::from_images(&train),
        train,
        test: image_set(4, 2),
        augmentation: Augmentation::None,
    }
}

fn config(model: &str, epochs: usize) -> TrainConfig {
    TrainConfig {
        model: model.into(),
        width_multiplier: 0.5,
        dataset: "fixture".into(),
        epochs,
        batch_size: 16,
        lr: 0.05,
        warmup: None,
        schedule: LrSchedule::default(),
        device: "cpu".into(),
        seed: 7,
        ..TrainConfig::default()
    }
}

fn quiet() -> RunOptions {
    RunOptions::default()
}

/// Metrics without the wall-clock fields, which legitimately differ between runs.
fn comparable(m: &EpochMetrics) -> (usize, u64, f64, f64, f64, f64, f64) {
    (
        m.epoch,
        m.step,
        m.train_loss,
        m.train_acc,
        m.test_loss,
        m.test_acc,
        m.lr,
    )
}

fn weights(run: &Path) -> Vec<(String, Tensor)> {
    sorted_variables(&load_trained(run, Device::Cpu).unwrap().vs)
}

fn sorted_variables(vs: &VarStore) -> Vec<(String, Tensor)> {
    let mut w: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    w.sort_by(|a, b| a.0.cmp(&b.0));
    w
}

fn names(variables: &[(String, Tensor)]) -> Vec<&str> {
    variables.iter().map(|(name, _)| name.as_str()).collect()
}

#[test]
fn loss_decreases_on_a_tiny_fixed_batch() {
    let _serial = serial();
    let data = dataset();
    tch::manual_seed(0);
    let vs = VarStore::new(Device::Cpu);
    let spec = ModelSpec::from_str_checked("resnet-8", 0.5, 1, CLASSES as i64);
    let net = Network::new(&vs.root(), &spec).unwrap();
    let mut sgd = Sgd::new(
        &vs,
        SgdOptions {
            momentum: 0.9,
            nesterov: false,
            weight_decay: 1e-4,
            decay_bn_and_bias: true,
        },
    );
    let batch = deepskip_data::eval_batches(Arc::new(data.train.clone()), &data.normalization, 32)
        .next()
        .unwrap();
    let (x, y) = batch.to_tensors(Device::Cpu);
    let loss_at = |net: &Network| net.forward_t(&x, true).cross_entropy_for_logits(&y);
    let first = loss_at(&net).double_value(&[]);
    for _ in 0..25 {
        let loss = loss_at(&net);
        sgd.zero_grad();
        loss.backward();
        sgd.step(0.05, 1.0);
    }
    let last = loss_at(&net).double_value(&[]);
    assert!(last < 0.5 * first, "loss {first} -> {last}");
}

/// Test helper: a spec fitted like `train` fits it.
trait SpecExt {
    fn from_str_checked(name: &str, width: f64, channels: i64, classes: i64) -> ModelSpec;
}

impl SpecExt for ModelSpec {
    fn from_str_checked(name: &str, width: f64, channels: i64, classes: i64) -> ModelSpec {
        name.parse::<ModelSpec>()
            .unwrap()
            .with_width_multiplier(width)
            .unwrap()
            .with_input(channels, classes)
            .unwrap()
    }
}

#[test]
fn a_run_writes_its_files_and_learns_the_fixture() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let outcome = train(&config("resnet-8", 3), &dataset(), &run, &quiet()).unwrap();
    assert_eq!(outcome.status.state, RunState::Finished);
    assert_eq!((outcome.status.epoch, outcome.status.step), (3, 12));
    let metrics = MetricsLog::new(run.join("metrics.jsonl")).read().unwrap();
    assert_eq!(
        metrics.iter().map(|m| m.epoch).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(metrics.iter().all(|m| m.skipped_steps == 0), "{metrics:?}");
    // Step schedule over 12 steps: x0.1 from step 6 and 9, x0.001 from step 11 (0-based).
    assert!((metrics[2].lr - 0.05e-3).abs() < 1e-12, "{}", metrics[2].lr);
    assert!(metrics[2].train_loss < metrics[0].train_loss, "{metrics:?}");
    // 16 test images: at least 12 right, where chance is 4.
    assert!(metrics[2].test_acc >= 0.75, "{metrics:?}");
    let dir = RunDir::new(&run);
    assert_eq!(dir.read_status().unwrap().state, RunState::Finished);
    // ResNet-8 x0.5 (widths 8/16/32, option A) on 1 channel, 4 classes: stem 72 + 16, stage 1
    // 2 x (576 + 16), stage 2 1152 + 32 + 2304 + 32, stage 3 4608 + 64 + 9216 + 64, fc 128 + 4.
    assert_eq!(outcome.params, 18_876);
    let recorded = dir.read_config().unwrap().resolved_spec.unwrap();
    assert_eq!((recorded.in_channels, recorded.num_classes), (1, 4));

    // The same options again without --resume: refused, nothing touched.
    let again = train(&config("resnet-8", 3), &dataset(), &run, &quiet()).unwrap_err();
    assert!(matches!(again, TrainError::RunExists(_)), "{again}");
    assert!(again.to_string().contains("resume it"), "{again}");
    // Resuming a finished run trains nothing and reports it finished.
    let resumed = train(
        &config("resnet-8", 3),
        &dataset(),
        &run,
        &RunOptions {
            resume: true,
            ..quiet()
        },
    )
    .unwrap();
    assert_eq!(resumed.status.state, RunState::Finished);
    assert_eq!(
        MetricsLog::new(run.join("metrics.jsonl")).read().unwrap(),
        metrics
    );
}

/// Trains `cfg` into `run` with the stop flag already set, checks that it stopped at
/// `(epoch, step)`, then resumes it to the end.
fn interrupt_then_resume(cfg: &TrainConfig, run: &Path, stopped_at: (usize, u64)) -> RunOutcome {
    let stop = RunOptions {
        interrupt: Some(Arc::new(AtomicBool::new(true))),
        ..quiet()
    };
    let stopped = train(cfg, &dataset(), run, &stop).unwrap();
    assert_eq!(stopped.status.state, RunState::Interrupted);
    assert_eq!((stopped.status.epoch, stopped.status.step), stopped_at);
    let resume = RunOptions {
        resume: true,
        ..quiet()
    };
    let resumed = train(cfg, &dataset(), run, &resume).unwrap();
    assert_eq!(resumed.status.state, RunState::Finished);
    resumed
}

#[test]
fn an_interrupted_and_resumed_run_matches_an_uninterrupted_one() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let (whole, split) = (tmp.path().join("whole"), tmp.path().join("split"));
    let cfg = config("plainnet-8", 2);
    train(&cfg, &dataset(), &whole, &quiet()).unwrap();

    // A flag already set stops after the first step of epoch 1, mid-epoch.
    interrupt_then_resume(&cfg, &split, (0, 1));

    let read = |p: &Path| MetricsLog::new(p.join("metrics.jsonl")).read().unwrap();
    let (a, b) = (read(&whole), read(&split));
    assert_eq!(a.len(), 2);
    assert_eq!(
        a.iter().map(comparable).collect::<Vec<_>>(),
        b.iter().map(comparable).collect::<Vec<_>>()
    );
    let (wa, wb) = (weights(&whole), weights(&split));
    assert_eq!(names(&wa), names(&wb));
    for ((name, a), (_, b)) in wa.iter().zip(&wb) {
        assert!(a.equal(b), "{name} differs after resume");
    }
}

#[test]
fn resuming_at_an_epoch_boundary_matches_too() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let (whole, split) = (tmp.path().join("whole"), tmp.path().join("split"));
    // One step per epoch: a flag set before the start stops the run right after epoch 1,
    // which completes (evaluation, metrics, checkpoint) first.
    let cfg = TrainConfig {
        steps_per_epoch: Some(1),
        ..config("resnet-8", 2)
    };
    let uninterrupted = train(&cfg, &dataset(), &whole, &quiet()).unwrap();
    let resumed = interrupt_then_resume(&cfg, &split, (1, 1));
    assert_eq!(
        resumed.final_metrics.as_ref().map(comparable),
        uninterrupted.final_metrics.as_ref().map(comparable)
    );
}

#[test]
fn a_huge_learning_rate_diverges_cleanly() {
    let _serial = serial();
    // BN makes the forward pass scale-invariant, so only a rate that overflows the classifier
    // (and with it the loss) forces a NaN; 1e6 merely overflows running variances. Epoch 1
    // (4 steps) trains at the warm-up rate and is checkpointed; the huge rate starts at step 5.
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("nan");
    let cfg = TrainConfig {
        lr: 1e30,
        warmup: Some(Warmup {
            lr: 0.05,
            iterations: 4,
        }),
        ..config("resnet-8", 4)
    };
    let outcome = train(&cfg, &dataset(), &run, &quiet()).unwrap();
    assert_eq!(
        outcome.status.state,
        RunState::Diverged,
        "{:?}",
        outcome.status
    );
    assert_eq!(outcome.status.epoch, 1, "{:?}", outcome.status);
    let reason = outcome.status.reason.clone().unwrap_or_default();
    assert!(reason.contains("epoch 2, step"), "{reason}");
    let on_disk = RunDir::new(&run).read_status().unwrap();
    assert_eq!(on_disk, outcome.status);
    let metrics = MetricsLog::new(run.join("metrics.jsonl")).read().unwrap();
    assert_eq!(metrics.iter().map(|m| m.epoch).collect::<Vec<_>>(), [1]);
    // The analysis reads the last good checkpoint: epoch 1, every variable finite.
    let trained = load_trained(&run, Device::Cpu).unwrap();
    assert_eq!(
        (trained.position.epochs_done, trained.position.step),
        (1, 4)
    );
    for (name, w) in trained.vs.variables() {
        assert!(
            w.isfinite().all().int64_value(&[]) == 1,
            "{name} not finite"
        );
    }
}

/// Four threads initialise networks at once, two seeds between them, many times over: each
/// gets exactly the weights its seed gives when initialising alone (libtorch's generator is
/// global, so without the library's lock the threads would draw from each other's streams).
#[test]
fn two_jobs_at_once_get_the_initial_weights_of_their_seeds() {
    let _serial = serial();
    let spec = ModelSpec::from_str_checked("resnet-8", 0.5, 1, CLASSES as i64);
    let values = |seed: u64| -> Vec<(String, Vec<f32>)> {
        let (vs, _net) = seeded_network(&spec, seed, Device::Cpu).unwrap();
        sorted_variables(&vs)
            .into_iter()
            .map(|(name, t)| (name, Vec::<f32>::try_from(&t.flatten(0, -1)).unwrap()))
            .collect()
    };
    let alone = [values(3), values(4)];
    assert_ne!(alone[0], alone[1]);
    std::thread::scope(|scope| {
        for job in 0..4u64 {
            let (values, alone) = (&values, &alone);
            scope.spawn(move || {
                for round in 0..20 {
                    let seed = 3 + (job + round) % 2;
                    assert!(
                        values(seed) == alone[(seed - 3) as usize],
                        "job {job}, round {round}: seed {seed} gave other weights"
                    );
                }
            });
        }
    });
}

fn all_equal(t: &Tensor, value: f64) -> bool {
    t.eq(value).all().int64_value(&[]) == 1
}

/// `sum(sqrt(w))` at `w = 0` is a finite loss (0) with an infinite gradient: the guarded step
/// must leave every weight and momentum buffer as it was; a finite gradient then steps.
#[test]
fn a_step_with_infinite_gradients_is_skipped_and_changes_nothing() {
    let _serial = serial();
    let vs = VarStore::new(Device::Cpu);
    let w = vs.root().var("w", &[2, 2], tch::nn::Init::Const(0.0));
    let v = vs.root().var("v", &[3], tch::nn::Init::Const(1.0));
    let mut sgd = Sgd::new(
        &vs,
        SgdOptions {
            momentum: 0.9,
            nesterov: false,
            weight_decay: 1e-4,
            decay_bn_and_bias: true,
        },
    );
    sgd.zero_grad();
    let loss = w.sqrt().sum(tch::Kind::Float) + v.sum(tch::Kind::Float);
    assert_eq!(loss.double_value(&[]), 3.0);
    loss.backward();
    assert!(!sgd.grads_finite());
    assert_eq!(sgd.step_if_finite(0.1, 1.0), StepOutcome::Skipped);
    assert!(all_equal(&w, 0.0) && all_equal(&v, 1.0));
    for (name, buffer) in sgd.named_buffers() {
        assert!(all_equal(&buffer, 0.0), "momentum of {name} changed");
    }

    sgd.zero_grad();
    (w.sum(tch::Kind::Float) + v.sum(tch::Kind::Float)).backward();
    assert_eq!(sgd.step_if_finite(0.1, 1.0), StepOutcome::Applied);
    assert!(all_equal(&w, -0.1), "{w}");
}

#[test]
fn skipped_steps_read_as_zero_from_older_metrics_and_checkpoints() {
    let _serial = serial();
    let old_line = r#"{"epoch":1,"step":31,"train_loss":2.3,"train_acc":0.1,"test_loss":2.3,
        "test_acc":0.1,"lr":0.01,"seconds":5.0,"images_per_sec":200.0}"#;
    let metrics: EpochMetrics = serde_json::from_str(old_line).unwrap();
    assert_eq!(metrics.skipped_steps, 0);
    let old_position = r#"{"epochs_done":1,"step":40,"batch_in_epoch":3,
        "partial":{"loss_sum":6.9,"correct":3,"seen":48,"seconds":1.5}}"#;
    let position: Position = serde_json::from_str(old_position).unwrap();
    assert_eq!(
        (position.partial.seen, position.partial.skipped_steps),
        (48, 0)
    );
    let tally = EpochTally {
        skipped_steps: 3,
        ..position.partial
    };
    let text = serde_json::to_string(&tally).unwrap();
    assert_eq!(serde_json::from_str::<EpochTally>(&text).unwrap(), tally);
}

/// The fixture with a normalisation that scales pixels to about 1e30: the stem's BN input then
/// has a batch variance near 1e60, past f32 (3.4e38) and far inside f64.
fn overflowing_dataset() -> Dataset {
    Dataset {
        normalization: Normalization {
            mean: vec![0.0],
            std: vec![1e-30],
        },
        ..dataset()
    }
}

#[test]
fn training_records_bn_overflow_in_f32_and_not_in_f64() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let run = |name: &str, cfg: TrainConfig| {
        let dir = tmp.path().join(name);
        let outcome = train(&cfg, &overflowing_dataset(), &dir, &quiet()).unwrap();
        let metrics = MetricsLog::new(RunDir::new(&dir).metrics_path())
            .read()
            .unwrap();
        (outcome, metrics)
    };
    let f32_config = config("plainnet-8", 2);
    let (outcome, metrics) = run("f32", f32_config.clone());
    let overflow = outcome.bn_overflow.expect("f32 statistics overflow");
    assert_eq!((overflow.first_layer, overflow.first_step), (1, 1));
    assert_eq!(overflow.steps, metrics[0].step, "every step of epoch 1");
    assert!(metrics.iter().all(|m| m.bn_overflow.is_some()));

    let f64_config = TrainConfig {
        precision: Precision::F64,
        ..f32_config.clone()
    };
    let (outcome, metrics) = run("f64", f64_config);
    assert_eq!(outcome.status.state, RunState::Finished);
    assert!(outcome.bn_overflow.is_none(), "{:?}", outcome.bn_overflow);
    assert!(metrics.iter().all(|m| m.bn_overflow.is_none()));
    let trained = load_trained(&tmp.path().join("f64"), Device::Cpu).unwrap();
    assert_eq!(
        trained.vs.variables()["fc.weight"].kind(),
        tch::Kind::Double
    );

    let f64_stats = TrainConfig {
        bn_stats: BnStats::F64,
        ..f32_config
    };
    let (outcome, _) = run("bn-f64", f64_stats);
    assert!(outcome.bn_overflow.is_none(), "{:?}", outcome.bn_overflow);
}

#[test]
fn warmup_coverage_counts_the_steps_the_run_will_take() {
    let data = dataset(); // 64 training images: 4 full batches of 16 per epoch
    let mut cfg = config("plainnet-8", 2);
    assert_eq!(
        warmup_coverage(&cfg, &SmallImages::new(&cfg, &data)).unwrap(),
        None
    );
    cfg.warmup = Some(Warmup::default()); // 400 steps, more than the run's 8
    let whole = warmup_coverage(&cfg, &SmallImages::new(&cfg, &data))
        .unwrap()
        .unwrap();
    assert_eq!((whole.warmup_steps, whole.total_steps), (8, 8));
    assert!(whole.covers_whole_run());
    cfg.warmup = Some(Warmup {
        lr: 0.01,
        iterations: 2,
    });
    cfg.steps_per_epoch = Some(2);
    let half = warmup_coverage(&cfg, &SmallImages::new(&cfg, &data))
        .unwrap()
        .unwrap();
    assert_eq!((half.warmup_steps, half.total_steps), (2, 4));
}

/// Whether the `cuda_*` tests below can run: they skip without a GPU, except under
/// DEEPSKIP_REQUIRE_CUDA=1 (the GPU check), where a missing GPU fails them.
fn cuda_present() -> bool {
    if tch::Cuda::is_available() {
        return true;
    }
    assert!(
        std::env::var("DEEPSKIP_REQUIRE_CUDA").as_deref() != Ok("1"),
        "DEEPSKIP_REQUIRE_CUDA=1 but libtorch sees no CUDA device"
    );
    eprintln!("skipped: no CUDA device (this test runs on GPU machines)");
    false
}

/// The same run on the GPU and on the CPU: same steps, the same losses up to the differences of
/// the two devices' kernels (cuDNN autotuning picks its own algorithms).
#[test]
fn cuda_training_follows_the_cpu_run() {
    if !cuda_present() {
        return;
    }
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let cpu = train(
        &config("resnet-8", 2),
        &dataset(),
        &tmp.path().join("cpu"),
        &quiet(),
    )
    .unwrap();
    let gpu_config = TrainConfig {
        device: "cuda".into(),
        ..config("resnet-8", 2)
    };
    let gpu = train(&gpu_config, &dataset(), &tmp.path().join("gpu"), &quiet()).unwrap();
    assert_eq!(gpu.status.state, RunState::Finished);
    let (cpu, gpu) = (cpu.final_metrics.unwrap(), gpu.final_metrics.unwrap());
    assert_eq!((gpu.epoch, gpu.step), (cpu.epoch, cpu.step));
    assert!(
        (gpu.train_loss - cpu.train_loss).abs() <= 1e-2 * cpu.train_loss.abs().max(1e-3),
        "cpu {cpu:?}\ngpu {gpu:?}"
    );
    assert!(
        (gpu.test_acc - cpu.test_acc).abs() <= 0.125,
        "cpu {cpu:?}\ngpu {gpu:?}"
    );
}

/// Mixed precision on the GPU (f16 autocast, dynamic loss scaling): the run learns the fixture,
/// and its checkpoint resumes.
#[test]
fn cuda_mixed_precision_learns_and_resumes() {
    if !cuda_present() {
        return;
    }
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("amp");
    let cfg = TrainConfig {
        device: "cuda".into(),
        amp: true,
        ..config("resnet-8", 3)
    };
    // A flag already set stops after the first step, mid-epoch.
    let outcome = interrupt_then_resume(&cfg, &run, (0, 1));
    assert_eq!(outcome.status.state, RunState::Finished);
    let last = outcome.final_metrics.unwrap();
    assert!(
        last.train_loss.is_finite() && last.test_acc >= 0.5,
        "{last:?}"
    );
}
