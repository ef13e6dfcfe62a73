//! What a reproduction reports while it runs. The study never prints: it sends each event to
//! the caller's [`StudyObserver`], and the caller renders it (the `deepskip` command prints
//! lines; a test collects them).

use deepskip_runs::schema::RunState;
use std::path::PathBuf;

/// One thing that happened in a reproduction.
#[derive(Debug, Clone, PartialEq)]
pub enum StudyEvent {
    /// The plan is made: `profile` (its one-line description), the number of runs, the
    /// devices they share and the results directory.
    Planned {
        profile: String,
        runs: usize,
        devices: Vec<String>,
        out: PathBuf,
    },
    /// Something the user should know that changes nothing (e.g. the paper profile on a CPU).
    Warning(String),
    /// A data set is being loaded.
    DataLoading { dataset: String },
    /// A data set could not be obtained; its runs are skipped with this reason.
    DataUnavailable { reason: String },
    /// A data set is in memory.
    DataLoaded {
        dataset: String,
        train: usize,
        test: usize,
        classes: usize,
    },
    /// A step of one run; `tag` is `[i/n] <dataset> <model> seed <s>`.
    Run { tag: String, step: RunStep },
    /// A line of the onset study's progress (beyond the paper; after the runs).
    Onset { line: String },
    /// `summary.json` is written; `text` is the end-of-run table.
    Summary { text: String },
}

/// What one run is doing or did.
#[derive(Debug, Clone, PartialEq)]
pub enum RunStep {
    /// Not run: its data set could not be obtained (the reason's first line).
    Skipped { reason: String },
    /// Trained and analysed before with the same identity.
    AlreadyDone {
        state: RunState,
        accuracy: Option<Accuracy>,
    },
    /// A different run was in its directory and was moved there.
    MovedAside { to: PathBuf, reason: String },
    /// Training starts (or resumes) on `device`.
    Training { resume: bool, device: String },
    /// The trainer's reason for how the run ended (e.g. why it diverged).
    TrainingNote { run_dir: PathBuf, reason: String },
    /// BN statistics overflowed during training (where and when).
    BnOverflow(deepskip_runs::schema::BnOverflow),
    /// Stopped by the interrupt flag after a checkpoint.
    Interrupted { seconds: f64 },
    /// Not analysed: Table IV reports ImageNet accuracy only.
    NotAnalysable,
    /// Evaluated on the full test split: accuracy and the class predicted most often, with its
    /// share of the test images (a constant predictor has a share near 1).
    FullTestEvaluated {
        test_images: u64,
        accuracy: f64,
        majority_class: usize,
        share: f64,
    },
    /// A diverged run that could not be evaluated on the full test split (still a result).
    DivergedNotEvaluated { error: String },
    /// The analysis starts.
    Analysing,
    /// The analysis wrote its files; `warnings` says what it could not measure.
    Analysed {
        hidden: usize,
        singular: usize,
        weights: usize,
        warnings: Vec<String>,
    },
    /// The outcome a Slurm task recorded for this run, as the report job found it.
    Recorded { outcome: String },
    /// A diverged run whose weights could not be analysed (still a result).
    DivergedNotAnalysed { error: String },
    /// The run ended in `state` after `seconds`.
    Ended {
        state: RunState,
        seconds: f64,
        accuracy: Option<Accuracy>,
    },
    /// Training or analysis failed.
    Failed { seconds: f64, error: String },
}

/// The last epoch's accuracies, fractions 0..1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Accuracy {
    pub train: f64,
    pub test: f64,
}

/// Receives a reproduction's events, from any worker thread.
pub trait StudyObserver: Sync + std::fmt::Debug {
    fn on_event(&self, event: StudyEvent);
}

/// Keeps every event, in arrival order (tests, and callers that render afterwards).
#[derive(Debug, Default)]
pub struct EventLog {
    events: std::sync::Mutex<Vec<StudyEvent>>,
}

impl EventLog {
    pub fn events(&self) -> Vec<StudyEvent> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

impl StudyObserver for EventLog {
    fn on_event(&self, event: StudyEvent) {
        if let Ok(mut events) = self.events.lock() {
            events.push(event);
        }
    }
}
