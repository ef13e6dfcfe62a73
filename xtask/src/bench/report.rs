//! The JSON reports of the measured sides (`deepskip-bench` and `bench/reference/*.py`, which
//! print the same keys), read into types: a missing or mistyped field is an error naming it.

use std::path::PathBuf;

use serde::Deserialize;

/// Any side's report: its own fields plus the process's peak RSS, which every side reports.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Measured<R> {
    #[serde(flatten)]
    pub body: R,
    /// `None` where the platform has no such figure.
    pub peak_rss_kib: Option<u64>,
}

/// `train-step` / `train_step.py`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TrainStepReport {
    pub params: u64,
    /// deepskip's side only (the model spec counts them).
    #[serde(default)]
    pub forward_flops_per_image: Option<u64>,
    pub step_seconds: Vec<f64>,
    pub phase_seconds: PhaseSeconds,
    /// How that process's malloc was configured.
    pub heap: Option<String>,
}

/// Seconds of each phase of every timed step: zero_grad + forward + loss, backward, update.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct PhaseSeconds {
    pub forward: Vec<f64>,
    pub backward: Vec<f64>,
    pub update: Vec<f64>,
}

/// A condition number as the reports write it: a number, or `"inf"` (JSON has no infinity).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(try_from = "KappaJson")]
pub enum Kappa {
    Finite(f64),
    Infinite,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum KappaJson {
    Number(f64),
    Text(String),
}

impl TryFrom<KappaJson> for Kappa {
    type Error = String;

    fn try_from(value: KappaJson) -> Result<Self, Self::Error> {
        match value {
            KappaJson::Number(x) => Ok(Kappa::Finite(x)),
            KappaJson::Text(s) if s == "inf" => Ok(Kappa::Infinite),
            KappaJson::Text(s) => Err(format!("kappa {s:?} is neither a number nor \"inf\"")),
        }
    }
}

/// `condition` / `svd.py`: one kappa and one time per matrix, in the order given.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ConditionReport {
    pub kappas: Vec<Kappa>,
    pub seconds: Vec<f64>,
}

/// `write-matrices`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WrittenMatrices {
    pub files: Vec<PathBuf>,
}

/// `pipeline` (deepskip only).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PipelineReport {
    pub cifar: CifarTiming,
    pub imagenet: ImagenetTiming,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CifarTiming {
    /// Real (with its folder) or generated, and why.
    pub origin: String,
    pub batch: u64,
    pub batches: u64,
    pub seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ImagenetTiming {
    pub images: u64,
    pub seconds: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_train_step_report_reads_with_or_without_the_deepskip_only_fields() {
        let ours: Measured<TrainStepReport> = serde_json::from_str(
            r#"{"side": "deepskip", "params": 12, "forward_flops_per_image": 300,
                "step_seconds": [0.5], "heap": "tuned", "peak_rss_kib": 2048,
                "phase_seconds": {"forward": [0.1], "backward": [0.3], "update": [0.05]}}"#,
        )
        .unwrap();
        assert_eq!(ours.body.forward_flops_per_image, Some(300));
        assert_eq!(ours.body.phase_seconds.backward, [0.3]);
        assert_eq!(ours.peak_rss_kib, Some(2048));
        let theirs: Measured<TrainStepReport> = serde_json::from_str(
            r#"{"params": 12, "step_seconds": [], "heap": null, "peak_rss_kib": null,
                "phase_seconds": {"forward": [], "backward": [], "update": []}}"#,
        )
        .unwrap();
        assert_eq!(theirs.body.forward_flops_per_image, None);
        let missing = serde_json::from_str::<Measured<TrainStepReport>>(
            r#"{"params": 12, "step_seconds": [], "heap": null, "peak_rss_kib": null,
                "phase_seconds": {"forward": []}}"#,
        )
        .unwrap_err();
        assert!(missing.to_string().contains("backward"), "{missing}");
    }

    #[test]
    fn kappas_read_numbers_and_inf_and_reject_other_text() {
        let report: ConditionReport =
            serde_json::from_str(r#"{"kappas": [2.5, "inf"], "seconds": [0.1, 0.2]}"#).unwrap();
        assert_eq!(report.kappas, [Kappa::Finite(2.5), Kappa::Infinite]);
        let bad = serde_json::from_str::<ConditionReport>(r#"{"kappas": ["nan"], "seconds": []}"#)
            .unwrap_err();
        assert!(bad.to_string().contains("\"nan\""), "{bad}");
    }
}
