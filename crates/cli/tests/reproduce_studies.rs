//! End to end: the studies beyond the paper (`--study all`) on the toy profile: their runs
//! train side by side with the paper's, give the same numbers run one at a time or several at
//! once, resume after Ctrl-C, and land in `studies.json` and the report's "Beyond the paper"
//! section with the depth-sweep figure.

use deepskip_runs::parse_metrics;
use deepskip_runs::prediction_census::PredictionCensus;
use deepskip_runs::schema::EpochMetrics;
use deepskip_runs::study_record::{Study, StudyRun};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support;

fn reproduce_command(data: &Path, out: &Path, jobs: usize) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_deepskip"));
    command
        .args(["reproduce", "--profile", "toy", "--device", "cpu"])
        .arg("--datasets")
        .arg(format!("idx:{}", data.display()))
        .args(["--study", "all", "--jobs", &jobs.to_string()])
        .arg("--out")
        .arg(out)
        .env_remove("DEEPSKIP_DATA_MIRROR")
        .env("DEEPSKIP_OFFLINE", "1");
    command
}

fn reproduce(data: &Path, out: &Path, jobs: usize) -> Output {
    let output = reproduce_command(data, out, jobs)
        .output()
        .expect("the deepskip binary runs");
    assert!(
        output.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// What every epoch of `run_dir` measured, without its timings.
fn measured(run_dir: &Path) -> Vec<(usize, u64, [f64; 5], u64)> {
    let text = fs::read_to_string(run_dir.join("metrics.jsonl")).unwrap_or_default();
    let metrics: Vec<EpochMetrics> = parse_metrics(&text).unwrap();
    metrics.iter().map(support::measured).collect()
}

fn census(run_dir: &Path) -> Option<PredictionCensus> {
    let text = fs::read_to_string(run_dir.join("test_evaluation.json")).ok()?;
    Some(serde_json::from_str(&text).unwrap())
}

/// Every run of `a` has a twin in `b` with the same numbers, epoch by epoch.
fn assert_same_runs(a: &Path, b: &Path) {
    let (runs_a, runs_b) = (support::idx_run_dirs(a), support::idx_run_dirs(b));
    let names = |dirs: &[PathBuf]| -> Vec<String> {
        dirs.iter()
            .map(|d| d.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(names(&runs_a), names(&runs_b));
    for (run_a, run_b) in runs_a.iter().zip(&runs_b) {
        assert!(!measured(run_a).is_empty(), "{} trained", run_a.display());
        assert_eq!(measured(run_a), measured(run_b), "{}", run_a.display());
        assert_eq!(census(run_a), census(run_b), "{}", run_a.display());
    }
}

fn studies(out: &Path) -> Vec<StudyRun> {
    serde_json::from_str(&fs::read_to_string(out.join("studies.json")).unwrap()).unwrap()
}

#[test]
fn studies_run_side_by_side_with_the_same_numbers_as_one_at_a_time_and_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("digits");
    support::write_idx_data_set(&data, 8, 4);
    let parallel = tmp.path().join("parallel");
    let sequential = tmp.path().join("sequential");
    reproduce(&data, &parallel, 3);
    reproduce(&data, &sequential, 1);

    // Paper plan: three 20-layer models; depth sweep: PlainNet/ResNet 8, 14, (20), ResNeXt 11,
    // (20); init study: PlainNet-20 delta-orthogonal.
    assert_eq!(support::idx_run_dirs(&parallel).len(), 3 + 5 + 1);
    assert_same_runs(&parallel, &sequential);

    let records = studies(&parallel);
    let depth: Vec<&StudyRun> = records.iter().filter(|r| r.study == Study::Depth).collect();
    let init: Vec<&StudyRun> = records.iter().filter(|r| r.study == Study::Init).collect();
    assert_eq!(depth.len(), 8);
    assert_eq!(init.len(), 2);
    assert_eq!(
        init.iter().map(|r| r.init.as_str()).collect::<Vec<_>>(),
        ["he", "delta-orthogonal"]
    );
    // Every study run was evaluated on the full test split (40 images) and counted.
    for record in &records {
        let census = record.summary.predictions.as_ref().expect("a census");
        assert_eq!(census.test_images, 40);
        assert_eq!(census.predicted.iter().sum::<u64>(), 40);
        assert_eq!(record.summary.test_acc, Some(census.accuracy()));
    }
    // Studies stay out of the paper's tables.
    let summary = fs::read_to_string(parallel.join("summary.json")).unwrap();
    assert!(!summary.contains("plainnet-8"), "{summary}");

    let report = fs::read_to_string(parallel.join("report.html")).unwrap();
    assert!(report.contains("Beyond the paper"));
    assert!(report.contains("Depth sweep"));
    assert!(report.contains("Delta-orthogonal initialisation"));
    let figure = fs::read_dir(parallel.join("figures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("depth_sweep_"))
                && p.extension().is_some_and(|e| e == "png")
        })
        .expect("a depth-sweep figure");
    assert!(fs::metadata(&figure).unwrap().len() > 1000);
}

#[test]
fn an_interrupted_sweep_resumes_and_ends_as_an_uninterrupted_one() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("digits");
    support::write_idx_data_set(&data, 8, 4);
    let whole = tmp.path().join("whole");
    reproduce(&data, &whole, 2);

    let split = tmp.path().join("split");
    let stopped =
        support::run_until_first_epoch_then_interrupt(reproduce_command(&data, &split, 2));
    assert_eq!(stopped.code, Some(130), "{}", stopped.stderr);
    let evaluated = support::idx_run_dirs(&split)
        .iter()
        .filter(|d| census(d).is_some())
        .count();
    let unfinished = support::idx_run_dirs(&whole).len() - evaluated;
    assert!(unfinished > 0, "Ctrl-C stopped the sweep before its end");
    let rerun = reproduce(&data, &split, 2);
    let stdout = String::from_utf8_lossy(&rerun.stdout);
    assert!(stdout.contains(": resuming on cpu"), "{stdout}");
    assert_same_runs(&whole, &split);
    assert_eq!(studies(&whole).len(), studies(&split).len());
}
