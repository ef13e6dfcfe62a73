//! deepskip-train.
#![doc = include_str!("../README.md")]

mod amp;
mod batch_source;
mod bn_overflow;
pub mod checkpoint;
mod config;
mod device;
mod error;
mod heap;
mod imagenet_recipe;
mod imagenet_source;
mod interrupt;
mod load;
mod lr_schedule;
pub mod memory_format;
mod metrics;
mod observer;
mod optimizer;
mod progress;
mod run_dir;
mod seeding;
mod step_outcome;
mod trainer;

pub use amp::LossScaler;
pub use batch_source::{steps_per_epoch, warmup_coverage, BatchIter, BatchSource, SmallImages};
pub use config::{RecordedVersions, TrainConfig};
pub use device::{device_name, parse_device, DeviceChoice};
pub use error::TrainError;
pub use heap::{keep_freed_memory, HeapTuning};
pub use imagenet_recipe::{
    imagenet_lr, IMAGENET_DECAY_EVERY, IMAGENET_EPOCHS, IMAGENET_REFERENCE_BATCH,
    IMAGENET_REFERENCE_LR,
};
pub use imagenet_source::{ImagenetFolders, IMAGENET_SIZE};
pub use load::{load_trained, TrainedModel};
pub use lr_schedule::{LrSchedule, Warmup, WarmupCoverage};
pub use metrics::MetricsLog;
pub use observer::{ObserverError, StepObserver};
pub use optimizer::{Sgd, SgdOptions};
pub use progress::ProgressGroup;
pub use run_dir::RunDir;
pub use seeding::{seeded_network, with_torch_seed};
pub use step_outcome::StepOutcome;
pub use trainer::{resolve_spec, train, train_from, train_observed, RunOptions, RunOutcome};
