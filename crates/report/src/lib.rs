//! deepskip-report.
#![doc = include_str!("../README.md")]

pub mod condition_rows;
mod error;
pub mod figures;
pub mod findings;
pub mod html;
mod output;
pub mod paper_reference;
pub mod precision_comparison;
pub mod prediction_census;
mod profile;
mod report;
pub mod results;
pub mod schema;
pub mod studies;
pub mod tables;

pub use error::ReportError;
pub use profile::ProfileDescription;
pub use report::{write_report, ReportFiles};
pub use results::{Results, RunResult};
