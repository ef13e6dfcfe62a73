//! deepskip-report.
#![doc = include_str!("../README.md")]

pub mod beyond;
mod error;
pub mod figures;
pub mod findings;
pub mod html;
// The paper's numbers and the profile description live upstream (the study needs them too);
// re-exported so report paths stay put.
pub use deepskip_runs::paper_reference;
pub mod like_for_like;
pub mod precision_comparison;
pub mod prediction_census;
mod report;
pub mod results;
mod run_figure_files;
pub mod studies;
pub mod tables;

pub use deepskip_runs::ProfileDescription;
pub use error::ReportError;
pub use report::{write_report, ReportFiles};
pub use results::{Results, RunResult};
pub use run_figure_files::write_run_figures;
