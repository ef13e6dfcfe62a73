//! `deepskip reproduce --imagenet <dir>` on a generated ImageNet-layout fixture (four classes
//! of small JPEGs), toy profile on the CPU: Table IV's three runs are trained (50 layers at
//! 32x32 crops, one step per epoch) and land in summary.json with top-1 and top-5 accuracy;
//! each is analysed on the fixed sample of the validation images (hidden representations,
//! weights, spectra and figures), and `deepskip analyze --imagenet` analyses one again.

use deepskip_report::results::read_condition_csv;
use deepskip_runs::schema::{EpochMetrics, RunState, RunSummary};
use deepskip_spectra::{LayerOutcome, RunSpectra};
use std::fs;
use std::path::Path;
use std::process::Command;

mod support;

#[test]
fn toy_reproduction_trains_table_iv_on_imagenet_folders() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("imagenet");
    for class in 0..4 {
        for i in 0..5 {
            let path = root.join(format!("train/n0{class}/{i}.JPEG"));
            support::write_jpeg(&path, 40 + 4 * i, 36, class);
        }
        support::write_jpeg(&root.join(format!("val/n0{class}/v.JPEG")), 44, 40, class);
    }
    let out = tmp.path().join("results");
    let output = Command::new(env!("CARGO_BIN_EXE_deepskip"))
        .args(["reproduce", "--profile", "toy", "--device", "cpu"])
        .args(["--datasets", "cifar100", "--imagenet"])
        .arg(&root)
        .arg("--out")
        .arg(&out)
        .arg("--data-dir")
        .arg(out.join("no-data-here"))
        .env_remove("DEEPSKIP_DATA_MIRROR")
        .env("DEEPSKIP_OFFLINE", "1")
        .output()
        .expect("the deepskip binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );

    let summary: Vec<RunSummary> =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).expect("summary"))
            .expect("summary JSON");
    let table_iv: Vec<&RunSummary> = summary.iter().filter(|s| s.dataset == "imagenet").collect();
    let models: Vec<&str> = table_iv.iter().map(|s| s.model.as_str()).collect();
    assert_eq!(
        models,
        ["plainnet-50", "resnet-50", "resnext-50"],
        "{stdout}"
    );
    for run in table_iv {
        assert!(
            matches!(run.state, RunState::Finished | RunState::Diverged),
            "{run:?}\n{stdout}"
        );
        assert!(run.params > 0 && run.epochs == 2, "{run:?}");
        let run_dir = out.join(run.run_dir.as_ref().expect("run dir recorded"));
        let text = fs::read_to_string(run_dir.join("metrics.jsonl")).expect("metrics");
        let last: EpochMetrics =
            serde_json::from_str(text.lines().last().expect("an epoch")).expect("metrics JSON");
        assert_eq!(run.test_acc, Some(last.test_acc));
        assert_eq!(
            last.test_top5,
            Some(1.0),
            "four classes are always in the top 5"
        );
        // The whole validation split (4 images, fewer than the profile's 16) is the sample.
        assert_analysed(&run_dir, 4);
    }
    assert!(out.join("table_4.csv").is_file());
    let html = fs::read_to_string(out.join("report.html")).expect("report");
    assert!(
        html.contains("condition_hidden_imagenet"),
        "ImageNet figures in the report"
    );

    let resnet = out.join("runs/imagenet/resnet-50-s0");
    let analyze = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_deepskip"))
            .args(["analyze", "--device", "cpu", "--samples", "3", "--run"])
            .arg(&resnet)
            .args(extra)
            .output()
            .expect("the deepskip binary runs")
    };
    let missing = analyze(&[]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("pass --imagenet <dir>"));
    let again = analyze(&["--imagenet", root.to_str().expect("UTF-8 path")]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_analysed(&resnet, 3);
}

/// `run_dir/analysis` holds every layer's row and spectrum for `samples` samples, and figures.
fn assert_analysed(run_dir: &Path, samples: usize) {
    let analysis = run_dir.join("analysis");
    let hidden = read_condition_csv(&analysis.join("hidden_condition.csv")).expect("hidden table");
    let weights = read_condition_csv(&analysis.join("weight_condition.csv")).expect("weights");
    assert_eq!(
        (hidden.len(), weights.len()),
        (50, 50),
        "{}",
        run_dir.display()
    );
    for row in &hidden {
        assert!(
            row.shape.starts_with(&format!("{samples}x")),
            "{}: {}",
            row.name,
            row.shape
        );
    }
    assert!(weights.iter().all(|r| r.kappa >= 1.0), "{weights:?}");
    let spectra = RunSpectra::read(&analysis.join("spectra.safetensors")).expect("spectra");
    assert_eq!(spectra.hidden.len(), 50);
    let LayerOutcome::Analysed(stem) = &spectra.hidden[0].outcome else {
        panic!("the stem of {} has no spectrum", run_dir.display());
    };
    assert_eq!(stem.raw.len(), samples);
    let figures = fs::read_dir(analysis.join("figures"))
        .expect("figures")
        .count();
    assert_eq!(figures, 3, "kappa, effective rank and heat map");
}
