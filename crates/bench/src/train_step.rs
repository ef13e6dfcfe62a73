//! One training step as `bench/reference/train_step.py` times it: zero the gradients, forward
//! in training mode, cross-entropy, backward, momentum SGD (deepskip-train's `Sgd`, which is
//! `torch.optim.SGD`'s update), on one fixed random CIFAR-shaped batch.

use std::time::Instant;

use anyhow::Result;
use clap::{Args, ValueEnum};
use deepskip_models::ModelSpec;
use deepskip_train::memory_format::{channels_last, to_channels_last};
use deepskip_train::{HeapTuning, Sgd, SgdOptions};
use serde_json::{json, Value};
use tch::nn::ModuleT;
use tch::{Device, Kind, Tensor};

use crate::peak_memory::peak_rss_kib;

/// The libtorch tch 0.24 binds to (xtask provisions exactly this one).
const TORCH_VERSION: &str = "2.11.0";

/// Static loss scale under fp16 autocast (both sides use the same constant, no dynamic scaler).
const AMP_LOSS_SCALE: f64 = 1024.0;

/// What the step computes in; `bench/reference/train_step.py` takes the same names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Precision {
    Fp32,
    /// CUDA autocast (f16) with a constant loss scale.
    Fp16,
    /// The network, its weights and the images in bf16: tch 0.24 cannot set autocast's dtype,
    /// so both sides convert the network instead of autocasting to bf16.
    Bf16,
}

#[derive(Debug, Args)]
pub struct TrainStepArgs {
    /// A small-image model name, e.g. resnet-164.
    #[arg(long)]
    model: String,
    #[arg(long, default_value_t = 32)]
    batch: i64,
    #[arg(long, default_value_t = 0.25)]
    width: f64,
    /// Untimed steps first (allocator and kernel selection settle).
    #[arg(long, default_value_t = 2)]
    warmup: usize,
    #[arg(long, default_value_t = 5)]
    steps: usize,
    /// cpu or cuda.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// fp32, fp16 (CUDA autocast with a constant loss scale; CUDA only) or bf16.
    #[arg(long, value_enum, default_value_t = Precision::Fp32)]
    precision: Precision,
    /// Images and convolution weights in channels-last (NHWC) memory order.
    #[arg(long)]
    channels_last: bool,
    #[arg(long, default_value_t = 0)]
    seed: i64,
}

pub fn run(args: &TrainStepArgs, heap: &HeapTuning) -> Result<Value> {
    let device = match args.device.as_str() {
        "cpu" => Device::Cpu,
        "cuda" => Device::Cuda(0),
        other => anyhow::bail!("--device {other}: expected cpu or cuda"),
    };
    if args.precision == Precision::Fp16 && !device.is_cuda() {
        anyhow::bail!("--precision fp16 is CUDA autocast: use --device cuda, or fp32 / bf16");
    }
    let spec: ModelSpec = args.model.parse()?;
    let spec = spec.with_width_multiplier(args.width)?;
    if device.is_cuda() {
        // As the trainer and the PyTorch reference do.
        deepskip_models::enable_cudnn_benchmark();
    }
    // Initial weights drawn on the CPU under the process-wide seed lock, as the trainer's.
    let (mut vs, net) = deepskip_train::seeded_network(&spec, args.seed as u64, device)?;
    // Converted before the optimiser takes the variables into its flat buffer.
    if args.precision == Precision::Bf16 {
        vs.bfloat16();
    }
    if args.channels_last {
        to_channels_last(&vs);
    }
    let params: i64 = vs
        .trainable_variables()
        .iter()
        .map(Tensor::numel)
        .map(|n| n as i64)
        .sum();
    let mut sgd = Sgd::new(
        &vs,
        SgdOptions {
            momentum: 0.9,
            nesterov: false,
            weight_decay: 5e-4,
            decay_bn_and_bias: true,
        },
    );
    let kind = match args.precision {
        Precision::Bf16 => Kind::BFloat16,
        _ => Kind::Float,
    };
    let mut images = Tensor::randn([args.batch, 3, 32, 32], (kind, device));
    if args.channels_last {
        images = channels_last(&images);
    }
    let labels = Tensor::randint(spec.num_classes, [args.batch], (Kind::Int64, device));
    let autocast = args.precision == Precision::Fp16;
    let scale = if autocast { AMP_LOSS_SCALE } else { 1.0 };
    let mut step_seconds = Vec::with_capacity(args.steps);
    let mut phases = PhaseSeconds::default();
    for step in 0..args.warmup + args.steps {
        // The step is timed on its own clock, not as the sum of the phases, so that a test can
        // check that the phases account for it.
        let step_started = Instant::now();
        let mut clock = PhaseClock::start(device);
        sgd.zero_grad();
        let loss = tch::autocast(autocast, || {
            net.forward_t(&images, true)
                .to_kind(Kind::Float)
                .cross_entropy_for_logits(&labels)
        });
        let forward = clock.lap();
        (loss * scale).backward();
        let backward = clock.lap();
        sgd.step(0.1, scale);
        let update = clock.lap();
        if step >= args.warmup {
            step_seconds.push(step_started.elapsed().as_secs_f64());
            phases.push(forward, backward, update);
        }
    }
    Ok(json!({
        "side": "deepskip",
        "model": spec.name(),
        "params": params,
        "spec_params": spec.param_count(),
        "forward_flops_per_image": spec.forward_flops(32, 32),
        "batch": args.batch,
        "width": args.width,
        "device": args.device,
        "precision": args.precision.to_possible_value().map(|v| v.get_name().to_owned()),
        "channels_last": args.channels_last,
        "threads": tch::get_num_threads(),
        "torch_version": TORCH_VERSION,
        "step_seconds": step_seconds,
        "phase_seconds": phases.to_json(),
        "peak_rss_kib": peak_rss_kib(),
        "heap": heap.to_string(),
    }))
}

/// Time since the last lap, with the device synchronised first so that queued CUDA kernels are
/// charged to the phase that launched them (on the CPU every op has finished when it returns).
struct PhaseClock {
    device: Device,
    last: Instant,
}

impl PhaseClock {
    fn start(device: Device) -> Self {
        Self {
            device,
            last: Instant::now(),
        }
    }

    fn lap(&mut self) -> f64 {
        if let Device::Cuda(index) = self.device {
            tch::Cuda::synchronize(index as i64);
        }
        let now = Instant::now();
        let seconds = (now - self.last).as_secs_f64();
        self.last = now;
        seconds
    }
}

/// Per-step seconds of each phase: zero_grad + forward + loss, backward, optimiser update.
#[derive(Default)]
struct PhaseSeconds {
    forward: Vec<f64>,
    backward: Vec<f64>,
    update: Vec<f64>,
}

impl PhaseSeconds {
    fn push(&mut self, forward: f64, backward: f64, update: f64) {
        self.forward.push(forward);
        self.backward.push(backward);
        self.update.push(update);
    }

    fn to_json(&self) -> Value {
        json!({"forward": self.forward, "backward": self.backward, "update": self.update})
    }
}
