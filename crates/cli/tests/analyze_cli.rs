//! `deepskip analyze` on a run trained here for two steps on a tiny generated IDX data set:
//! the three analysis files appear with one row per layer, in one pass and in chunks.

use deepskip_report::schema::{LayerConditionRow, LayerStatsFile, ModeConditionRow};
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

mod support;

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

/// `deepskip analyze` of `run` on 12 samples on the CPU, with `extra` options; must succeed.
fn analyze_12_samples(run: &str, extra: &[&str]) {
    let mut args = vec![
        "analyze",
        "--run",
        run,
        "--samples",
        "12",
        "--device",
        "cpu",
    ];
    args.extend_from_slice(extra);
    ok(&deepskip(&args));
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
    support::write_idx_data_set(&data, 3, 2);
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

    analyze_12_samples(run_s, &["--bn", "running"]);
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

    // Every full spectrum is stored; re-thresholding them gives the table of a fresh analysis
    // at that tolerance, and back.
    assert!(analysis.join("spectra.safetensors").is_file());
    assert!(hidden.iter().all(|r| r.tolerance == "data-precision"));
    let tables = || {
        (
            rows(&analysis.join("hidden_condition.csv")),
            rows(&analysis.join("weight_condition.csv")),
        )
    };
    let rethreshold = |extra: &[&str]| {
        let mut args = vec!["analyze", "--run", run_s, "--from-spectra"];
        args.extend_from_slice(extra);
        ok(&deepskip(&args));
    };
    rethreshold(&["--tolerance", "numpy-f32"]);
    let from_spectra = tables();
    assert!(from_spectra.0.iter().all(|r| r.tolerance == "numpy-f32"));
    analyze_12_samples(
        run_s,
        &[
            "--bn",
            "running",
            "--tolerance",
            "numpy-f32",
            "--view",
            "modes",
        ],
    );
    assert_eq!(from_spectra, tables());
    rethreshold(&[]);
    assert_eq!(tables(), (hidden.clone(), weights.clone()));
    // The HOSVD view: every mode of each N x C x H x W layer (4), two of the 12 x 10 logits;
    // mode 1 is the main table's matrix.
    let modes: Vec<ModeConditionRow> = csv::Reader::from_path(analysis.join("hidden_modes.csv"))
        .unwrap()
        .deserialize()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(modes.len(), 7 * 4 + 2);
    for m in modes.iter().filter(|m| m.mode == 1) {
        let main = &from_spectra.0[m.layer - 1];
        assert_eq!(
            (&m.shape, m.rank),
            (&main.shape, main.rank),
            "layer {}",
            m.layer
        );
    }

    // In chunks (layers grouped, one pass per group) the numbers are the same.
    let first = hidden.clone();
    analyze_12_samples(
        run_s,
        &["--bn", "running", "--chunk", "5", "--layers", "1,7-8"],
    );
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

    // Batch statistics are over all samples: chunking them is refused, by name.
    let chunked_batch = deepskip(&[
        "analyze",
        "--run",
        run_s,
        "--samples",
        "12",
        "--chunk",
        "5",
        "--device",
        "cpu",
    ]);
    assert!(!chunked_batch.status.success());
    assert!(String::from_utf8_lossy(&chunked_batch.stderr).contains("--bn running"));

    // The default (batch statistics) writes the same rows.
    analyze_12_samples(run_s, &[]);
    assert_eq!(rows(&analysis.join("hidden_condition.csv")).len(), 8);
}
