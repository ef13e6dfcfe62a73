//! The error type of deepskip-train.

use std::path::PathBuf;

/// Everything that can go wrong in deepskip-train.
///
/// A diverged or interrupted run is not an error: it is a [`deepskip_runs::schema::RunState`]
/// in the run's outcome.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// An I/O operation on `path` failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A JSON file of the run directory could not be read or written.
    #[error("{path}: invalid JSON ({source}); the file may be corrupt: remove the run directory or write the run elsewhere")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    /// A record of the run directory could not be read or written.
    #[error(transparent)]
    Runs(#[from] deepskip_runs::RunsError),

    /// libtorch reported an error while `context`.
    #[error("libtorch error while {context}: {source}")]
    Torch {
        context: String,
        #[source]
        source: tch::TchError,
    },

    /// A configuration value is out of range.
    #[error("invalid training configuration: {0}")]
    InvalidConfig(String),

    /// The device string is not one of `auto`, `cpu`, `cuda`, `cuda:N`.
    #[error("unknown device {0:?}: expected auto, cpu, cuda or cuda:N (N = GPU index)")]
    InvalidDevice(String),

    /// CUDA was asked for but libtorch sees no such GPU.
    #[error("device {requested} requested but libtorch sees {available} CUDA device(s); use the CPU, or auto")]
    DeviceUnavailable { requested: String, available: i64 },

    /// The run directory holds a run with a different configuration.
    #[error("{path} already holds a run with a different configuration ({difference}); write this run elsewhere, or resume with the same configuration to continue that one")]
    RunDirConflict { path: PathBuf, difference: String },

    /// The run directory already holds this run and resuming was not asked for.
    #[error("{0} already holds this run; resume it to continue, or write the run elsewhere to start afresh")]
    RunExists(PathBuf),

    /// The run directory holds files but no run config (not a run directory).
    #[error(
        "{0} exists and is not an empty run directory (no config.json); write the run elsewhere"
    )]
    NotARunDir(PathBuf),

    /// Resuming found nothing to resume from.
    #[error("{0}: no checkpoint to resume from (checkpoint/manifest.json missing); start the run afresh instead")]
    NoCheckpoint(PathBuf),

    /// A checkpoint is incomplete or does not match the model.
    #[error("checkpoint {path} is unusable: {reason}")]
    BadCheckpoint { path: PathBuf, reason: String },

    /// The weights or BN running statistics overflowed; the trainer turns this into a
    /// `diverged` status.
    #[error("weights became non-finite by step {step} ({count} variables, first {first})")]
    NonFiniteWeights {
        step: u64,
        /// How many variables hold a NaN or infinity.
        count: usize,
        /// The first of them by name.
        first: String,
    },

    /// A [`crate::StepObserver`] could not record a step (e.g. its snapshot file).
    #[error("recording step {step} for the observer failed: {message}")]
    Observer { step: u64, message: String },

    /// The model spec could not be parsed or built.
    #[error(transparent)]
    Model(#[from] deepskip_models::ModelError),

    /// The data pipeline failed.
    #[error(transparent)]
    Data(#[from] deepskip_data::DataError),

    /// An ImageNet folder could not be read (missing split, unknown class, bad loader setting).
    #[error(transparent)]
    Imagenet(#[from] deepskip_data::imagenet::ImagenetError),
}

impl TrainError {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }

    /// Wraps a JSON error with the path it concerns.
    pub(crate) fn json(path: impl Into<PathBuf>) -> impl FnOnce(serde_json::Error) -> Self {
        let path = path.into();
        move |source| Self::Json { path, source }
    }

    /// Wraps a libtorch error with what was being done.
    pub(crate) fn torch(context: impl Into<String>) -> impl FnOnce(tch::TchError) -> Self {
        let context = context.into();
        move |source| Self::Torch { context, source }
    }
}
