//! End-to-end checks of the training loop on a generated 4-class, 1x8x8 image set and the
//! smallest networks (depth 8, width x0.5), a few steps each on the CPU.

use deepskip_data::{Augmentation, Dataset, DatasetName, ImageSet, ImageShape, Normalization};
use deepskip_models::{ModelSpec, Network};
use deepskip_report::schema::{EpochMetrics, RunState};
use deepskip_train::{
    load_trained, train, LrSchedule, MetricsLog, RunDir, RunOptions, Sgd, SgdOptions, TrainConfig,
};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use tch::nn::{ModuleT, VarStore};
use tch::{Device, Tensor};

const SHAPE: ImageShape = ImageShape {
    channels: 1,
    height: 8,
    width: 8,
};
const CLASSES: usize = 4;

/// Class `c` is a bright 4x4 quadrant `c` on a noisy background: learnable in a few steps.
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
    let trained = load_trained(run, Device::Cpu).unwrap();
    let mut w: Vec<(String, Tensor)> = trained.vs.variables().into_iter().collect();
    w.sort_by(|a, b| a.0.cmp(&b.0));
    w
}

#[test]
fn loss_decreases_on_a_tiny_fixed_batch() {
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
    // Step schedule over 12 steps: x0.1 from step 6 and 9, x0.001 from step 11 (0-based).
    assert!((metrics[2].lr - 0.05e-3).abs() < 1e-12, "{}", metrics[2].lr);
    assert!(metrics[2].train_loss < metrics[0].train_loss, "{metrics:?}");
    let dir = RunDir::new(&run);
    assert_eq!(dir.read_status().unwrap().state, RunState::Finished);
    assert!(dir.read_config().unwrap().resolved_spec.is_some());
    assert_eq!(
        outcome.params,
        dir.read_config()
            .unwrap()
            .resolved_spec
            .unwrap()
            .param_count()
    );

    // The same options again without --resume: refused, nothing touched.
    let again = train(&config("resnet-8", 3), &dataset(), &run, &quiet()).unwrap_err();
    assert!(again.to_string().contains("--resume"), "{again}");
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

#[test]
fn an_interrupted_and_resumed_run_matches_an_uninterrupted_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (whole, split) = (tmp.path().join("whole"), tmp.path().join("split"));
    let cfg = config("plainnet-8", 2);
    train(&cfg, &dataset(), &whole, &quiet()).unwrap();

    // A flag already set stops after the first step of epoch 1, mid-epoch.
    let stop = RunOptions {
        interrupt: Some(Arc::new(AtomicBool::new(true))),
        ..quiet()
    };
    let stopped = train(&cfg, &dataset(), &split, &stop).unwrap();
    assert_eq!(stopped.status.state, RunState::Interrupted);
    assert_eq!((stopped.status.epoch, stopped.status.step), (0, 1));
    let resumed = train(
        &cfg,
        &dataset(),
        &split,
        &RunOptions {
            resume: true,
            ..quiet()
        },
    )
    .unwrap();
    assert_eq!(resumed.status.state, RunState::Finished);

    let read = |p: &Path| MetricsLog::new(p.join("metrics.jsonl")).read().unwrap();
    let (a, b) = (read(&whole), read(&split));
    assert_eq!(a.len(), 2);
    assert_eq!(
        a.iter().map(comparable).collect::<Vec<_>>(),
        b.iter().map(comparable).collect::<Vec<_>>()
    );
    for ((name, wa), (_, wb)) in weights(&whole).iter().zip(&weights(&split)) {
        assert!(wa.equal(wb), "{name} differs after resume");
    }
}

#[test]
fn resuming_at_an_epoch_boundary_matches_too() {
    let tmp = tempfile::tempdir().unwrap();
    let (whole, split) = (tmp.path().join("whole"), tmp.path().join("split"));
    // One step per epoch: a flag set before the start stops the run right after epoch 1,
    // which completes (evaluation, metrics, checkpoint) first.
    let cfg = TrainConfig {
        steps_per_epoch: Some(1),
        ..config("resnet-8", 2)
    };
    let uninterrupted = train(&cfg, &dataset(), &whole, &quiet()).unwrap();
    let stop = RunOptions {
        interrupt: Some(Arc::new(AtomicBool::new(true))),
        ..quiet()
    };
    let stopped = train(&cfg, &dataset(), &split, &stop).unwrap();
    assert_eq!(stopped.status.state, RunState::Interrupted);
    assert_eq!((stopped.status.epoch, stopped.status.step), (1, 1));
    let resumed = train(
        &cfg,
        &dataset(),
        &split,
        &RunOptions {
            resume: true,
            ..quiet()
        },
    )
    .unwrap();
    assert_eq!(resumed.status.state, RunState::Finished);
    assert_eq!(
        resumed.final_metrics.as_ref().map(comparable),
        uninterrupted.final_metrics.as_ref().map(comparable)
    );
}

#[test]
fn a_huge_learning_rate_diverges_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("nan");
    let cfg = TrainConfig {
        lr: 1e6,
        ..config("resnet-8", 4)
    };
    let outcome = train(&cfg, &dataset(), &run, &quiet()).unwrap();
    assert_eq!(
        outcome.status.state,
        RunState::Diverged,
        "{:?}",
        outcome.status
    );
    assert!(outcome
        .status
        .reason
        .as_deref()
        .unwrap_or("")
        .contains("step"));
    let on_disk = RunDir::new(&run).read_status().unwrap();
    assert_eq!(on_disk, outcome.status);
    // Any checkpoint kept is a good one: its weights are finite.
    if let Ok(trained) = load_trained(&run, Device::Cpu) {
        for (name, w) in trained.vs.variables() {
            assert!(
                w.isfinite().all().int64_value(&[]) == 1,
                "{name} not finite"
            );
        }
    }
}
