//! deepskip-runs.
#![doc = include_str!("../README.md")]

mod error;
mod json;
mod layout;
mod metrics;
pub mod paper_reference;
pub mod prediction_census;
mod profile;
pub mod schema;
pub mod study_record;

pub use deepskip_atomic_write::{is_temp_name, temp_path, write_with, AtomicWriteError};
pub use error::RunsError;
pub use json::{read_json, write_atomic, write_json_atomic};
pub use layout::{ResultsLayout, RunLayout};
pub use metrics::{parse_metrics, read_metrics};
pub use profile::ProfileDescription;
