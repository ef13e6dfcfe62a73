//! `summary.json` (one `RunSummary` per run), the end-of-run summary printed to the terminal,
//! and the exit status that follows from the runs' outcomes.

use super::plan::PlannedRun;
use deepskip_runs::paper_reference::{model_label, paper_cell};
use deepskip_runs::schema::{EpochMetrics, RunState, RunSummary};
use deepskip_runs::{write_json_atomic, ResultsLayout, RunLayout};
use std::path::Path;
use std::process::ExitCode;

/// How one planned run ended in this invocation (recorded by a Slurm task for the report job).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum RunOutcome {
    /// Trained (now or before) and analysed: `Finished` or `Diverged`, both results.
    Completed { state: RunState, device: String },
    /// Stopped by Ctrl-C or SIGTERM after a checkpoint; rerunning resumes it.
    Interrupted { device: String },
    /// Not run, for a stated reason (data set not obtainable, ImageNet not given, ...).
    Skipped { reason: String },
    /// Training or analysis failed with this error.
    Failed { error: String, device: String },
}

impl RunOutcome {
    /// Whether the outcome is acceptable for exit status 0.
    pub fn is_success(&self) -> bool {
        matches!(
            self,
            RunOutcome::Completed { .. } | RunOutcome::Skipped { .. }
        )
    }
}

/// The `RunSummary` of `run`, reading its metrics from `results_dir/<run dir>` when it trained.
/// `params` is the model's parameter count (at the run's width).
pub fn summarize(
    run: &PlannedRun,
    outcome: &RunOutcome,
    params: u64,
    results_dir: &Path,
) -> RunSummary {
    let rel_dir = run.rel_dir();
    let metrics = read_metrics(&results_dir.join(&rel_dir));
    let last = metrics.last();
    let (state, reason, device) = match outcome {
        // A diverged run says why (the train crate's status reason) and whether it was analysed.
        RunOutcome::Completed { state, device } => {
            let run_dir = results_dir.join(&rel_dir);
            let reason = (*state == RunState::Diverged).then(|| diverged_reason(&run_dir));
            (*state, reason, device.clone())
        }
        RunOutcome::Interrupted { device } => (
            RunState::Interrupted,
            Some("interrupted (Ctrl-C or SIGTERM); rerun the same command to resume".into()),
            device.clone(),
        ),
        RunOutcome::Skipped { reason } => (RunState::Skipped, Some(reason.clone()), String::new()),
        // The schema has no "failed" state: an unfinished run with the error as its reason.
        RunOutcome::Failed { error, device } => (
            RunState::Interrupted,
            Some(format!("failed: {error}")),
            device.clone(),
        ),
    };
    let paper = paper_cell(&run.dataset.to_string(), &run.model);
    let predictions = super::test_evaluation::read(&results_dir.join(&rel_dir));
    RunSummary {
        dataset: run.dataset.to_string(),
        model: run.model.clone(),
        depth: model_depth(&run.model),
        params,
        train_acc: last.map(|m| m.train_acc),
        // The full test split's accuracy when the run was evaluated on it (quick and toy test
        // their epochs on a subset).
        test_acc: predictions
            .as_ref()
            .map(|p| p.accuracy())
            .or(last.map(|m| m.test_acc)),
        state,
        reason,
        epochs: last.map_or(0, |m| m.epoch),
        seconds: metrics.iter().fold(0.0, |total, m| total + m.seconds),
        device,
        profile: run.profile.name().into(),
        seed: run.seed,
        paper_train_acc: paper.map(|c| c.train_acc),
        paper_test_acc: paper.map(|c| c.test_acc),
        run_dir: (!metrics.is_empty()).then(|| rel_dir.to_string_lossy().into_owned()),
        predictions,
    }
}

fn diverged_reason(run_dir: &Path) -> String {
    let why = super::run_record::read_status(run_dir)
        .and_then(|s| s.reason)
        .unwrap_or_else(|| "the loss became non-finite".into());
    if RunLayout::new(run_dir).hidden_condition().is_file() {
        why
    } else {
        format!("{why}; not analysed: no checkpoint was written before the divergence")
    }
}

/// The depth of a model spec (`resnet-164` -> 164, `resnext-50-64x4d` -> 50), parsed by
/// `ModelSpec`; 0 when the name is not a spec.
pub fn model_depth(model: &str) -> usize {
    model
        .parse::<deepskip_models::ModelSpec>()
        .map_or(0, |spec| spec.depth)
}

/// Every epoch of `<run>/metrics.jsonl` (a line cut by a crash is dropped); none when the file
/// is missing or unreadable.
pub fn read_metrics(run_dir: &Path) -> Vec<EpochMetrics> {
    deepskip_runs::read_metrics(&RunLayout::new(run_dir).metrics()).unwrap_or_default()
}

/// Writes `<results>/summary.json` atomically.
pub fn write_summary(results_dir: &Path, summaries: &[RunSummary]) -> anyhow::Result<()> {
    Ok(write_json_atomic(
        &ResultsLayout::new(results_dir).summary(),
        &summaries,
    )?)
}

/// The end-of-run summary: one line per run, then the skipped data sets' reasons.
pub fn render_summary(summaries: &[RunSummary], profile_line: &str) -> String {
    let mut out = format!("\nSummary ({profile_line})\n");
    out.push_str(&format!(
        "{:<10} {:<16} {:>4} {:<11} {:>9} {:>9} {:>9} {:>9} {:>8}\n",
        "dataset", "model", "seed", "status", "train", "test", "paper tr", "paper te", "seconds"
    ));
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.2}%", 100.0 * v));
    for s in summaries {
        out.push_str(&format!(
            "{:<10} {:<16} {:>4} {:<11} {:>9} {:>9} {:>9} {:>9} {:>8.0}\n",
            s.dataset,
            model_label(&s.model),
            s.seed,
            state_name(s.state),
            pct(s.train_acc),
            pct(s.test_acc),
            pct(s.paper_train_acc),
            pct(s.paper_test_acc),
            s.seconds
        ));
    }
    // One line per data set and reason: a skipped data set's models share it.
    let mut reasons: Vec<String> = Vec::new();
    for s in summaries {
        if let Some(reason) = &s.reason {
            let line = format!("  {} ({}): {reason}", s.dataset, state_name(s.state));
            if !reasons.contains(&line) {
                reasons.push(line);
            }
        }
    }
    if !reasons.is_empty() {
        out.push_str("Not run or not finished:\n");
        for line in reasons {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

fn state_name(state: RunState) -> &'static str {
    match state {
        RunState::Running => "running",
        RunState::Finished => "finished",
        RunState::Diverged => "diverged",
        RunState::Interrupted => "unfinished",
        RunState::Skipped => "skipped",
    }
}

/// 0 when every run finished, diverged or was skipped for a reason; 130 after Ctrl-C; 1
/// otherwise.
pub fn exit_status(outcomes: &[RunOutcome]) -> ExitCode {
    if outcomes
        .iter()
        .any(|o| matches!(o, RunOutcome::Interrupted { .. }))
    {
        ExitCode::from(130)
    } else if outcomes.iter().all(RunOutcome::is_success) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reproduction::plan::{default_models, plan_runs};
    use crate::reproduction::profile::Profile;
    use deepskip_data::DatasetName;
    use std::fs;

    fn run() -> PlannedRun {
        plan_runs(
            Profile::Quick,
            &[DatasetName::Cifar10],
            &default_models(Profile::Quick),
            1,
        )[1]
        .clone()
    }

    fn metrics(epoch: usize, train_acc: f64) -> EpochMetrics {
        EpochMetrics {
            epoch,
            step: 10 * epoch as u64,
            train_loss: 1.0,
            train_acc,
            test_loss: 1.0,
            test_acc: train_acc - 0.1,
            lr: 0.1,
            seconds: 2.5,
            images_per_sec: 100.0,
            train_top5: None,
            test_top5: None,
            skipped_steps: 0,
            bn_overflow: None,
        }
    }

    #[test]
    fn a_trained_run_reports_its_last_epoch_and_the_paper_cell() {
        let tmp = tempfile::tempdir().unwrap();
        let run = run();
        let dir = tmp.path().join(run.rel_dir());
        fs::create_dir_all(&dir).unwrap();
        let lines: Vec<String> = [metrics(1, 0.3), metrics(2, 0.6)]
            .iter()
            .map(|m| serde_json::to_string(m).unwrap())
            .collect();
        fs::write(dir.join("metrics.jsonl"), lines.join("\n") + "\n{\"cut").unwrap();
        let outcome = RunOutcome::Completed {
            state: RunState::Finished,
            device: "cpu".into(),
        };
        let s = summarize(&run, &outcome, 1234, tmp.path());
        assert_eq!((s.epochs, s.depth, s.params), (2, 164, 1234));
        assert_eq!(s.train_acc, Some(0.6));
        assert_eq!(s.seconds, 5.0);
        assert_eq!(s.paper_test_acc, Some(0.9353));
        assert_eq!(s.run_dir.as_deref(), Some("runs/cifar10/resnet-164-s0"));
        assert_eq!(s.profile, "quick");
    }

    #[test]
    fn skipped_runs_carry_their_reason_into_summary_and_terminal() {
        let tmp = tempfile::tempdir().unwrap();
        let outcome = RunOutcome::Skipped {
            reason: "CIFAR-100 not obtainable".into(),
        };
        let s = summarize(&run(), &outcome, 0, tmp.path());
        assert_eq!(s.state, RunState::Skipped);
        assert_eq!(s.run_dir, None);
        let text = render_summary(&[s], "profile quick");
        assert!(text.contains("CIFAR-100 not obtainable"), "{text}");
        assert!(text.contains("skipped"));
    }

    #[test]
    fn the_depth_comes_from_the_spec_not_the_last_dash() {
        assert_eq!(model_depth("resnet-164"), 164);
        assert_eq!(model_depth("resnext-50-64x4d"), 50);
        assert_eq!(model_depth("no-such-model"), 0);
    }

    #[test]
    fn exit_status_follows_the_outcomes() {
        let done = RunOutcome::Completed {
            state: RunState::Diverged,
            device: "cpu".into(),
        };
        let skipped = RunOutcome::Skipped { reason: "x".into() };
        let failed = RunOutcome::Failed {
            error: "boom".into(),
            device: "cpu".into(),
        };
        let stopped = RunOutcome::Interrupted {
            device: "cpu".into(),
        };
        assert_eq!(
            exit_status(&[done.clone(), skipped.clone()]),
            ExitCode::SUCCESS
        );
        assert_eq!(exit_status(&[done.clone(), failed]), ExitCode::FAILURE);
        assert_eq!(exit_status(&[done, stopped]), ExitCode::from(130));
    }
}
