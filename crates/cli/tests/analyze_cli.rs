//! `deepskip analyze` on a run trained here for two steps on a tiny generated IDX data set:
//! the three analysis files appear with one row per layer, in one pass and in chunks.

use deepskip_report::schema::{LayerConditionRow, LayerStatsFile};
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

const CLASSES: usize = 10;
const SIDE: usize = 28;

fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

/// MNIST-layout split: class `c` is a bright bar at row `2c+4` over deterministic noise.
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
                images.push(if row == 2 * class + 4 { 200 } else { 0 } + noise);
            }
        }
    }
    let dims = [n as u32, SIDE as u32, SIDE as u32];
    fs::write(
        dir.join(format!("{prefix}-images-idx3-ubyte")),
        idx_bytes(&dims, &images),
    )
    .unwrap();
    fs::write(
        dir.join(format!("{prefix}-labels-idx1-ubyte")),
        idx_bytes(&[n as u32], &labels),
    )
    .unwrap();
}

fn deepskip(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deepskip"))
        .args(args)
        .env("DEEPSKIP_OFFLINE", "1")
        .output()
        .expect("the deepskip binary runs")
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn rows(path: &Path) -> Vec<LayerConditionRow> {
    csv::Reader::from_path(path)
        .unwrap()
        .deserialize()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn analyze_writes_condition_csvs_and_stats_for_every_layer() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("digits");
    fs::create_dir_all(&data).unwrap();
    write_split(&data, "train", 3);
    write_split(&data, "t10k", 2);
    let run = tmp.path().join("run");
    let dataset = format!("idx:{}", data.display());
    let run_s = run.to_str().unwrap();
    ok(&deepskip(&[
        "train",
        "--model",
        "resnet-8",
        "--dataset",
        &dataset,
        "--out",
        run_s,
        "--epochs",
        "1",
        "--steps-per-epoch",
        "2",
        "--batch-size",
        "8",
        "--width-multiplier",
        "0.25",
        "--device",
        "cpu",
    ]));

    ok(&deepskip(&[
        "analyze",
        "--run",
        run_s,
        "--samples",
        "12",
        "--device",
        "cpu",
    ]));
    let analysis = run.join("analysis");
    let hidden = rows(&analysis.join("hidden_condition.csv"));
    let weights = rows(&analysis.join("weight_condition.csv"));
    // resnet-8: stem, 3 stages x 1 block x 2 convs, classifier = 8 weighted layers.
    assert_eq!(
        hidden.iter().map(|r| r.layer).collect::<Vec<_>>(),
        (1..=8).collect::<Vec<_>>()
    );
    assert_eq!(weights.len(), 8);
    assert!(hidden[0].shape.starts_with("12x"), "{}", hidden[0].shape);
    assert_eq!(hidden[7].shape, "12x10");
    for r in hidden.iter().chain(&weights) {
        assert!(r.kappa >= 1.0, "layer {} kappa {}", r.layer, r.kappa);
        assert!(r.sigma_max >= r.sigma_min);
    }
    let stats: LayerStatsFile =
        serde_json::from_slice(&fs::read(analysis.join("layer_stats.json")).unwrap()).unwrap();
    assert_eq!((stats.activations.len(), stats.weights.len()), (8, 8));
    assert_eq!(
        stats.activations[0].stats.count as usize,
        12 * hidden[0].shape[3..].parse::<usize>().unwrap()
    );

    // In chunks (layers grouped, one pass per group) the numbers are the same.
    let first = hidden.clone();
    ok(&deepskip(&[
        "analyze",
        "--run",
        run_s,
        "--samples",
        "12",
        "--device",
        "cpu",
        "--chunk",
        "5",
        "--layers",
        "1,7-8",
    ]));
    let chunked = rows(&analysis.join("hidden_condition.csv"));
    assert_eq!(
        chunked.iter().map(|r| r.layer).collect::<Vec<_>>(),
        vec![1, 7, 8]
    );
    for r in &chunked {
        let whole = &first[r.layer - 1];
        assert_eq!(r.shape, whole.shape);
        assert_eq!(r.rank, whole.rank);
        let close = |a: f64, b: f64| (a == b) || (a - b).abs() <= 1e-4 * b.abs();
        assert!(close(r.sigma_max, whole.sigma_max), "layer {}", r.layer);
    }
    let bad = deepskip(&[
        "analyze", "--run", run_s, "--layers", "99", "--device", "cpu",
    ]);
    assert!(!bad.status.success());
}
