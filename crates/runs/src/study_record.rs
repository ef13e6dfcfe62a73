//! `<results>/studies.json` (`ResultsLayout::studies`): the runs of the studies beyond the
//! paper (`--study depth`, `--study init`), each with its study, written by the study crate and
//! read by the report.

use crate::schema::RunSummary;
use serde::{Deserialize, Serialize};

/// Which study a run belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Study {
    /// PlainNet, ResNet and ResNeXt at several depths, one recipe.
    Depth,
    /// PlainNet at the profile's depth, He against delta-orthogonal initialisation.
    Init,
}

/// An entry of `studies.json`: a run's summary, its study and its initialisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyRun {
    pub study: Study,
    /// `he` or `delta-orthogonal`.
    pub init: String,
    pub summary: RunSummary,
}
