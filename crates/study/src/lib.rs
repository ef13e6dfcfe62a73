//! deepskip-study.
#![doc = include_str!("../README.md")]

pub mod analysis;
pub mod events;
pub mod reproduction;

pub use events::{Accuracy, EventLog, RunStep, StudyEvent, StudyObserver};
