//! What the onset study reports as it goes; the caller renders the events (the reproduction
//! prints them as progress lines).

use deepskip_runs::schema::RunState;
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum OnsetEvent {
    /// A run's study starts (or resumes with `done` of `planned` points analysed).
    Started {
        label: String,
        planned: usize,
        done: usize,
    },
    /// The run is trained again to record its steps.
    Replaying {
        label: String,
    },
    Replayed {
        label: String,
        state: RunState,
        seconds: f64,
    },
    /// One point analysed; `onset`: its first singular layer (default tolerance, batch
    /// statistics).
    Point {
        label: String,
        step: u64,
        seconds: f64,
        onset: Option<usize>,
    },
    Finished {
        label: String,
        seconds: f64,
    },
    AlreadyDone {
        label: String,
    },
    Skipped {
        label: String,
        reason: String,
    },
    Failed {
        label: String,
        error: String,
    },
}

impl fmt::Display for OnsetEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OnsetEvent::Started {
                label,
                planned,
                done,
            } if *done > 0 => write!(
                f,
                "[onset] {label}: resuming, {done} of {planned} points already analysed"
            ),
            OnsetEvent::Started { label, planned, .. } => {
                write!(f, "[onset] {label}: {planned} point(s) to analyse")
            }
            OnsetEvent::Replaying { label } => {
                write!(f, "[onset] {label}: training again to record its steps")
            }
            OnsetEvent::Replayed {
                label,
                state,
                seconds,
            } => write!(f, "[onset] {label}: replay {state:?} after {seconds:.0} s"),
            OnsetEvent::Point {
                label,
                step,
                seconds,
                onset,
            } => {
                let onset = onset.map_or("none".into(), |l| format!("layer {l}"));
                write!(
                    f,
                    "[onset] {label}: step {step} analysed in {seconds:.0} s (first singular \
                     layer: {onset})"
                )
            }
            OnsetEvent::Finished { label, seconds } => {
                write!(f, "[onset] {label}: done in {seconds:.0} s")
            }
            OnsetEvent::AlreadyDone { label } => {
                write!(f, "[onset] {label}: study complete, nothing to do")
            }
            OnsetEvent::Skipped { label, reason } => {
                write!(f, "[onset] {label}: skipped ({reason})")
            }
            OnsetEvent::Failed { label, error } => write!(f, "[onset] {label}: FAILED: {error}"),
        }
    }
}
