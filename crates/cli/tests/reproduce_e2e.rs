//! End to end: `deepskip reproduce --profile toy` on a tiny generated IDX data set writes every
//! output (summary.json, tables, CSVs, figures, report.html), and a rerun trains nothing; a
//! reproduction stopped by Ctrl-C resumes and ends as an uninterrupted one.

use deepskip_runs::parse_metrics;
use deepskip_runs::schema::{EpochMetrics, RunState, RunStatus, RunSummary};
use std::fs;
use std::path::Path;
use std::process::Command;

mod support;

/// The final-epoch training accuracy the toy ResNet-20 reaches at least: twice chance, three
/// standard deviations above guessing on its 80 images (it measured 0.29). Its test accuracy
/// on 40 images after ten steps (0.15 measured) is too noisy to pin.
const LEARNED: f64 = 0.2;

/// `deepskip reproduce --profile toy` of the IDX set `data` (and CIFAR-100, which is not
/// obtainable offline) into `out`.
fn reproduce_command(data: &Path, out: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_deepskip"));
    command
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
        .env("DEEPSKIP_OFFLINE", "1");
    command
}

fn reproduce(data: &Path, out: &Path) -> std::process::Output {
    reproduce_command(data, out)
        .output()
        .expect("the deepskip binary runs")
}

fn read_summary(out: &Path) -> Vec<RunSummary> {
    serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
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

    let summary = read_summary(&out);
    let trained: Vec<&RunSummary> = summary
        .iter()
        .filter(|s| s.dataset.starts_with("idx:"))
        .collect();
    assert_eq!(trained.len(), 3, "three models on the IDX data set");
    // The PlainNet and ResNeXt may diverge in ten steps; the ResNet learns the bars.
    let resnet = trained
        .iter()
        .find(|s| s.model == "resnet-20")
        .expect("a ResNet-20 run");
    assert_eq!(resnet.state, RunState::Finished, "{resnet:?}");
    assert!(
        resnet.train_acc.unwrap() >= LEARNED,
        "chance is 0.1: {resnet:?}"
    );
    let resnet_metrics = metrics_of(&out.join(resnet.run_dir.as_ref().unwrap()));
    let losses: Vec<f64> = resnet_metrics.iter().map(|m| m.train_loss).collect();
    assert!(
        losses.len() == 2 && losses[1] < losses[0] && losses[1] < 10f64.ln(),
        "training loss falls below chance's ln 10: {losses:?}"
    );
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
    // The onset study: every IDX model at initialisation, the PlainNet followed through
    // training, in the report's "Beyond the paper" section with its figures.
    let studies = out.join("studies/onset/idx-digits");
    for model in ["plainnet-20", "resnet-20", "resnext-20"] {
        assert_non_empty(&studies.join(format!("{model}-s0/onset.json")));
    }
    assert!(
        html.contains("id=\"beyond\""),
        "the Beyond the paper section"
    );
    let plain_finished = trained
        .iter()
        .any(|s| s.model == "plainnet-20" && s.state == RunState::Finished);
    let heatmap = figures
        .iter()
        .any(|f| f.to_string_lossy().contains("onset_heatmap_"));
    assert!(heatmap || !plain_finished, "{figures:?}");
    assert!(
        html.contains("<svg") || html.contains("data:image/"),
        "figures are inline (self-contained page)"
    );

    let second = reproduce(&data, &out);
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(second.status.success(), "{stdout}");
    assert_eq!(stdout.matches("already done").count(), 3, "{stdout}");
}

fn status_of(run_dir: &Path) -> Option<RunStatus> {
    let text = fs::read_to_string(run_dir.join("status.json")).ok()?;
    Some(serde_json::from_str(&text).unwrap())
}

fn metrics_of(run_dir: &Path) -> Vec<EpochMetrics> {
    parse_metrics(&fs::read_to_string(run_dir.join("metrics.jsonl")).unwrap()).unwrap()
}

/// The checkpoint's weights and BN statistics, by name; `None` without a checkpoint (a run
/// that diverged in its first epoch).
fn weights_of(run_dir: &Path) -> Option<Vec<(String, tch::Tensor)>> {
    let trained = deepskip_train::load_trained(run_dir, tch::Device::Cpu).ok()?;
    let mut weights: Vec<_> = trained.vs.variables().into_iter().collect();
    weights.sort_by(|a, b| a.0.cmp(&b.0));
    Some(weights)
}

#[test]
fn an_interrupted_reproduction_resumes_and_ends_as_an_uninterrupted_one() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("digits");
    support::write_idx_data_set(&data, 8, 4);
    let whole = tmp.path().join("whole");
    let first = reproduce(&data, &whole);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );

    // Ctrl-C lands while the run that printed the epoch line trains its second (last) epoch.
    // Should it land between two runs instead, the next run is never started; another try
    // then catches the next run mid-training.
    let split = tmp.path().join("split");
    let mut interrupted = None;
    for _attempt in 0..3 {
        let stopped =
            support::run_until_first_epoch_then_interrupt(reproduce_command(&data, &split));
        assert_eq!(
            stopped.code,
            Some(130),
            "stdout:\n{}\nstderr:\n{}",
            stopped.stdout,
            stopped.stderr
        );
        let summary = read_summary(&split);
        assert!(
            summary.iter().any(|s| s.state == RunState::Interrupted),
            "{summary:?}"
        );
        interrupted = support::idx_run_dirs(&split)
            .into_iter()
            .find(|dir| status_of(dir).is_some_and(|status| status.state == RunState::Interrupted));
        if interrupted.is_some() {
            break;
        }
    }
    let interrupted = interrupted.expect("a run interrupted mid-training in three tries");
    let status = status_of(&interrupted).unwrap();
    assert!(status.epoch < 2, "{status:?}");
    let kept = metrics_of(&interrupted);
    assert_eq!(
        kept.len(),
        status.epoch,
        "one metrics line per completed epoch"
    );

    let rerun = reproduce(&data, &split);
    let stdout = String::from_utf8_lossy(&rerun.stdout);
    assert!(
        rerun.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&rerun.stderr)
    );
    let dir_name = interrupted.file_name().unwrap().to_string_lossy();
    let (model, _seed) = dir_name.rsplit_once("-s").expect("<model>-s<seed>");
    assert!(
        stdout
            .lines()
            .any(|l| l.contains(&format!(" {model} seed ")) && l.ends_with(": resuming on cpu")),
        "{model} resumed:\n{stdout}"
    );
    // The epochs completed before Ctrl-C are kept as they were (timings included): resumed,
    // not trained again.
    assert_eq!(metrics_of(&interrupted)[..kept.len()], kept[..]);

    let runs = support::idx_run_dirs(&whole);
    assert_eq!(runs.len(), 3);
    for run in runs {
        let resumed = split.join(run.strip_prefix(&whole).unwrap());
        assert_eq!(
            status_of(&resumed).map(|s| s.state),
            status_of(&run).map(|s| s.state),
            "{}",
            resumed.display()
        );
        assert_eq!(
            metrics_of(&resumed)
                .iter()
                .map(support::measured)
                .collect::<Vec<_>>(),
            metrics_of(&run)
                .iter()
                .map(support::measured)
                .collect::<Vec<_>>(),
            "{}",
            resumed.display()
        );
        let (a, b) = (weights_of(&run), weights_of(&resumed));
        assert_eq!(a.is_some(), b.is_some(), "{}", resumed.display());
        let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
        assert_eq!(
            a.iter().map(|w| &w.0).collect::<Vec<_>>(),
            b.iter().map(|w| &w.0).collect::<Vec<_>>()
        );
        for ((name, wa), (_, wb)) in a.iter().zip(&b) {
            assert!(wa.equal(wb), "{}: {name} differs", resumed.display());
        }
    }
}
