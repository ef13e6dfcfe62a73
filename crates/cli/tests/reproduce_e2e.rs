//! End to end: `deepskip reproduce --profile toy` on a tiny generated IDX data set writes every
//! output (summary.json, tables, CSVs, figures, report.html), and a rerun trains nothing.

use deepskip_report::schema::{RunState, RunSummary};
use std::fs;
use std::path::Path;
use std::process::Command;

const CLASSES: usize = 10;
const SIDE: usize = 28;

/// An IDX file: magic `00 00 08 <ndims>`, big-endian u32 dimensions, then bytes.
fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

/// `per_class` images per class in MNIST's layout; class `c` draws a bright bar at row `2c+4`
/// over a little deterministic noise, so the classes are learnable.
fn write_split(dir: &Path, prefix: &str, per_class: usize) {
    let n = per_class * CLASSES;
    let mut images = Vec::with_capacity(n * SIDE * SIDE);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % CLASSES;
        labels.push(class as u8);
        for row in 0..SIDE {
            for col in 0..SIDE {
                let noise = ((i * 31 + row * 7 + col * 13) % 23) as u8;
                let bar = if row == 2 * class + 4 { 200 } else { 0 };
                images.push(bar + noise);
            }
        }
    }
    let images_path = dir.join(format!("{prefix}-images-idx3-ubyte"));
    let labels_path = dir.join(format!("{prefix}-labels-idx1-ubyte"));
    fs::write(
        images_path,
        idx_bytes(&[n as u32, SIDE as u32, SIDE as u32], &images),
    )
    .unwrap();
    fs::write(labels_path, idx_bytes(&[n as u32], &labels)).unwrap();
}

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

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
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
    fs::create_dir_all(&data).unwrap();
    write_split(&data, "train", 8);
    write_split(&data, "t10k", 4);
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
    // Figures may sit in per-data-set subdirectories: every file under figures/ counts.
    let figures = files_under(&out.join("figures"));
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
