//! End to end: `deepskip reproduce --profile toy` on a tiny generated IDX data set writes every
//! output (summary.json, tables, CSVs, figures, report.html), and a rerun trains nothing.

use deepskip_report::schema::{RunState, RunSummary};
use std::fs;
use std::path::Path;
use std::process::Command;

mod support;

fn reproduce(data: &Path, out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_deepskip"))
        .args([
            "reproduce",
            "--profile",
            "toy",
            "--device",
            "cpu",
            "--datasets",
        ])
        .arg(format!("idx:{},cifar100", data.display()))
        .arg("--out")
        .arg(out)
        .arg("--data-dir")
        .arg(out.join("no-data-here"))
        .env_remove("DEEPSKIP_DATA_MIRROR")
        .env("DEEPSKIP_OFFLINE", "1")
        .output()
        .expect("the deepskip binary runs")
}

fn assert_non_empty(path: &Path) {
    let len = fs::metadata(path)
        .unwrap_or_else(|e| panic!("{} missing: {e}", path.display()))
        .len();
    assert!(len > 0, "{} is empty", path.display());
}

#[test]
fn toy_reproduction_writes_every_output_and_reruns_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("digits");
    support::write_idx_data_set(&data, 8, 4);
    let out = tmp.path().join("results");

    let first = reproduce(&data, &out);
    let stdout = String::from_utf8_lossy(&first.stdout);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(
        first.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("profile `toy`"), "{stdout}");

    let summary: Vec<RunSummary> =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let trained: Vec<&RunSummary> = summary
        .iter()
        .filter(|s| s.dataset.starts_with("idx:"))
        .collect();
    assert_eq!(trained.len(), 3, "three models on the IDX data set");
    for run in &trained {
        assert!(
            matches!(run.state, RunState::Finished | RunState::Diverged),
            "{run:?}"
        );
        assert_eq!(run.depth, 20);
        assert!(run.params > 0 && run.epochs > 0);
        let acc = run.train_acc.expect("a trained run has an accuracy");
        assert!((0.0..=1.0).contains(&acc));
        assert_eq!(run.profile, "toy");
        let run_dir = out.join(run.run_dir.as_ref().expect("run dir recorded"));
        for file in [
            "config.json",
            "metrics.jsonl",
            "status.json",
            "reproduce.json",
        ] {
            assert_non_empty(&run_dir.join(file));
        }
        for file in [
            "hidden_condition.csv",
            "weight_condition.csv",
            "layer_stats.json",
        ] {
            assert_non_empty(&run_dir.join("analysis").join(file));
        }
    }
    // CIFAR-100 is not obtainable offline and ImageNet was not given: skipped with reasons.
    for dataset in ["cifar100", "imagenet"] {
        let skipped: Vec<&RunSummary> = summary.iter().filter(|s| s.dataset == dataset).collect();
        assert!(!skipped.is_empty(), "{dataset} has rows");
        for run in skipped {
            assert_eq!(run.state, RunState::Skipped);
            assert!(!run.reason.as_deref().unwrap_or("").is_empty(), "{run:?}");
        }
    }

    let tables = fs::read_to_string(out.join("tables.md")).unwrap();
    assert!(tables.contains("toy"), "tables name the profile");
    for n in 1..=4 {
        let path = out.join(format!("table_{n}.csv"));
        let mut reader = csv::Reader::from_path(&path).unwrap();
        assert!(
            !reader.headers().unwrap().is_empty(),
            "{} has a header",
            path.display()
        );
        for record in reader.records() {
            record.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
    // Figure names are flat file names even for `idx:<dir>` data sets: no subfolders.
    let figures: Vec<_> = fs::read_dir(out.join("figures"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert!(
        figures.iter().all(|f| f.is_file()),
        "only files under figures/: {figures:?}"
    );
    let count = |ext: &str| {
        figures
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == ext))
            .count()
    };
    assert!(
        count("svg") > 0 && count("png") > 0,
        "SVG and PNG figures: {figures:?}"
    );
    for figure in &figures {
        assert_non_empty(figure);
    }
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<html") && html.contains("</html>"));
    assert!(
        html.contains("<svg") || html.contains("data:image/"),
        "figures are inline (self-contained page)"
    );

    let second = reproduce(&data, &out);
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(second.status.success(), "{stdout}");
    assert_eq!(stdout.matches("already done").count(), 3, "{stdout}");
}
