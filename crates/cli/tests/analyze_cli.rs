//! `deepskip analyze` on a run trained here for two steps on a tiny generated IDX data set:
//! the three analysis files appear with one row per layer, in one pass and in chunks, and
//! every hidden-representation row is the condition number of the network's own tap,
//! recomputed here from `forward_with_taps`, with either kind of BN statistics.

use deepskip_data::{DataSource, DatasetName};
use deepskip_models::LayerSelection;
use deepskip_spectra::records::{LayerStatsFile, ModeConditionRow};
use deepskip_spectra::{HiddenRepresentation, Tolerance};
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::str::FromStr;
use tch::{Device, Kind, Tensor};

mod support;

/// Images per class in the generated training split: 30 images in all.
const TRAIN_PER_CLASS: usize = 3;
/// The analysis takes the whole split (a fixed sample of all images is the split in order),
/// so the test knows which images went in.
const SAMPLES: &str = "30";

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

/// `deepskip analyze` of `run` on all samples on the CPU, with `extra` options; must succeed.
fn analyze_all_samples(run: &str, extra: &[&str]) {
    let mut args = vec![
        "analyze",
        "--run",
        run,
        "--samples",
        SAMPLES,
        "--device",
        "cpu",
    ];
    args.extend_from_slice(extra);
    ok(&deepskip(&args));
}

/// A CSV row by column name (columns may be added or reordered).
#[derive(Debug, Clone, PartialEq)]
struct Row(HashMap<String, String>);

impl Row {
    fn text(&self, column: &str) -> &str {
        self.0
            .get(column)
            .unwrap_or_else(|| panic!("no column {column} in {:?}", self.0))
    }

    /// A numeric column; `inf` parses as infinity.
    fn number(&self, column: &str) -> f64 {
        let text = self.text(column);
        text.parse()
            .unwrap_or_else(|e| panic!("{column} = {text:?}: {e}"))
    }

    fn layer(&self) -> usize {
        self.text("layer").parse().expect("a layer index")
    }
}

fn rows(path: &Path) -> Vec<Row> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            Row(headers
                .iter()
                .zip(record.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect())
        })
        .collect()
}

/// One layer's output on the analysis samples, as the network produces it.
struct TapValues {
    index: usize,
    name: String,
    shape: Vec<usize>,
    values: Vec<f32>,
}

/// Every layer's output for the whole training split of `data`, from the run's checkpoint,
/// with batch statistics (`batch_bn`) or the running averages in BN. The images are
/// normalised here, `(v / 255 - mean) / std` per channel.
fn taps(run: &Path, data: &Path, batch_bn: bool) -> Vec<TapValues> {
    let trained = deepskip_train::load_trained(run, Device::Cpu).expect("load the run");
    let name = DatasetName::from_str(&format!("idx:{}", data.display())).unwrap();
    let dataset = deepskip_data::load(&name, &DataSource::local(data)).expect("load the data");
    let set = &dataset.train;
    let (mean, std) = (&dataset.normalization.mean, &dataset.normalization.std);
    let plane = set.shape.plane();
    let normalised: Vec<f32> = set
        .images
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = (i / plane) % set.shape.channels;
            (f32::from(v) / 255.0 - mean[c]) / std[c]
        })
        .collect();
    let dims = [
        set.len(),
        set.shape.channels,
        set.shape.height,
        set.shape.width,
    ];
    let images = Tensor::from_slice(&normalised).view(dims.map(|d| d as i64));
    let mut out = Vec::new();
    let _logits = tch::no_grad(|| {
        trained
            .network
            .forward_with_taps::<std::convert::Infallible>(
                &images,
                batch_bn,
                &LayerSelection::All,
                &mut |tap| {
                    let output = tap.output.to_kind(Kind::Float).contiguous();
                    out.push(TapValues {
                        index: tap.index,
                        name: tap.name.to_owned(),
                        shape: output.size().iter().map(|&d| d as usize).collect(),
                        values: Vec::<f32>::try_from(&output.view([-1])).unwrap(),
                    });
                    Ok(())
                },
            )
    });
    out
}

/// `|a - b|` within `rel` of `b` or `abs`; infinities equal only themselves.
fn close(a: f64, b: f64, rel: f64, abs: f64) -> bool {
    a == b || (a - b).abs() <= rel * b.abs() + abs
}

/// Each row is its tap's N x D matrix: the extreme singular values from a separate SVD (in
/// f64 by libtorch), and kappa and rank from deepskip-spectra on the tap itself.
fn assert_rows_are_the_taps(rows: &[Row], taps: &[TapValues]) {
    assert!(!rows.is_empty());
    for row in rows {
        let layer = row.layer();
        let tap = taps
            .iter()
            .find(|t| t.index == layer)
            .unwrap_or_else(|| panic!("no tap for layer {layer}"));
        assert_eq!(row.text("name"), tap.name, "layer {layer}");
        let (n, d) = (tap.shape[0], tap.shape[1..].iter().product::<usize>());
        assert_eq!(row.text("shape"), format!("{n}x{d}"), "layer {layer}");

        let matrix = Tensor::from_slice(&tap.values)
            .view([n as i64, d as i64])
            .to_kind(Kind::Double);
        let (_, sigma, _) = matrix.svd(true, false);
        let sigma = Vec::<f64>::try_from(&sigma).unwrap();
        let sigma_max = sigma.iter().copied().fold(0.0, f64::max);
        let sigma_min = sigma.iter().copied().fold(f64::INFINITY, f64::min);
        let (got_max, got_min) = (row.number("sigma_max"), row.number("sigma_min"));
        assert!(
            close(got_max, sigma_max, 1e-6, 0.0),
            "layer {layer}: sigma_max {got_max}, the tap's {sigma_max}"
        );
        assert!(
            close(got_min, sigma_min, 1e-6, 1e-9 * sigma_max),
            "layer {layer}: sigma_min {got_min}, the tap's {sigma_min}"
        );

        let expected = HiddenRepresentation::new(&tap.values, &tap.shape)
            .unwrap()
            .condition_number(Tolerance::default())
            .unwrap();
        let kappa = row.number("kappa");
        assert!(
            close(kappa, expected.kappa, 1e-6, 0.0),
            "layer {layer}: kappa {kappa}, the tap's {}",
            expected.kappa
        );
        if kappa.is_finite() {
            assert!(
                close(kappa, sigma_max / sigma_min, 1e-5, 0.0),
                "layer {layer}: kappa {kappa}, sigma_max / sigma_min of the tap {}",
                sigma_max / sigma_min
            );
        }
        assert_eq!(
            row.text("rank"),
            expected.numerical_rank.to_string(),
            "layer {layer}"
        );
    }
}

/// Every file of the run outside `analysis/`, by path.
fn run_files(run: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, skip: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path == skip {
                continue;
            }
            if path.is_dir() {
                walk(&path, skip, out);
            } else {
                out.insert(path.clone(), fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(run, &run.join("analysis"), &mut out);
    out
}

#[test]
fn analyze_writes_the_condition_numbers_of_the_networks_own_layers() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("digits");
    support::write_idx_data_set(&data, TRAIN_PER_CLASS, 2);
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

    analyze_all_samples(run_s, &["--bn", "running"]);
    let analysis = run.join("analysis");
    let running = rows(&analysis.join("hidden_condition.csv"));
    let weights = rows(&analysis.join("weight_condition.csv"));
    // resnet-8: stem, 3 stages x 1 block x 2 convs, classifier = 8 weighted layers.
    assert_eq!(
        running.iter().map(Row::layer).collect::<Vec<_>>(),
        (1..=8).collect::<Vec<_>>()
    );
    assert_eq!(
        weights.iter().map(Row::layer).collect::<Vec<_>>(),
        (1..=8).collect::<Vec<_>>()
    );
    assert_eq!(running[7].text("shape"), "30x10");
    let running_taps = taps(&run, &data, false);
    assert_rows_are_the_taps(&running, &running_taps);
    let stats: LayerStatsFile =
        serde_json::from_slice(&fs::read(analysis.join("layer_stats.json")).unwrap()).unwrap();
    assert_eq!((stats.activations.len(), stats.weights.len()), (8, 8));
    assert_eq!(
        stats.activations[0].stats.count as usize,
        running_taps[0].values.len()
    );

    // Every full spectrum is stored; re-thresholding them gives the table of a fresh analysis
    // at that tolerance, and back.
    assert!(analysis.join("spectra.safetensors").is_file());
    assert!(running
        .iter()
        .all(|r| r.text("tolerance") == "data-precision"));
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
    assert!(from_spectra
        .0
        .iter()
        .all(|r| r.text("tolerance") == "numpy-f32"));
    analyze_all_samples(
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
    assert_eq!(tables(), (running.clone(), weights.clone()));
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
            (m.shape.as_str(), m.rank.to_string()),
            (main.text("shape"), main.text("rank").to_owned()),
            "layer {}",
            m.layer
        );
    }

    // In chunks (layers grouped, one pass per group) the numbers are the same.
    analyze_all_samples(
        run_s,
        &["--bn", "running", "--chunk", "7", "--layers", "1,7-8"],
    );
    let chunked = rows(&analysis.join("hidden_condition.csv"));
    assert_eq!(
        chunked.iter().map(Row::layer).collect::<Vec<_>>(),
        vec![1, 7, 8]
    );
    for r in &chunked {
        let whole = &running[r.layer() - 1];
        assert_eq!(r.text("shape"), whole.text("shape"));
        assert_eq!(r.text("rank"), whole.text("rank"));
        for column in ["sigma_max", "sigma_min", "kappa"] {
            let (a, b) = (r.number(column), whole.number(column));
            assert!(
                close(a, b, 1e-4, 0.0),
                "layer {} {column}: chunked {a}, whole {b}",
                r.layer()
            );
        }
    }

    let bad = deepskip(&[
        "analyze", "--run", run_s, "--layers", "99", "--device", "cpu",
    ]);
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("layer 99") && stderr.contains("1..=8"),
        "{stderr}"
    );

    // Batch statistics are over all samples: chunking them is refused, by name.
    let chunked_batch = deepskip(&[
        "analyze",
        "--run",
        run_s,
        "--samples",
        SAMPLES,
        "--chunk",
        "5",
        "--device",
        "cpu",
    ]);
    assert!(!chunked_batch.status.success());
    assert!(String::from_utf8_lossy(&chunked_batch.stderr).contains("--bn running"));

    // The default, batch statistics: the taps of train-mode BN, which after two steps differ
    // from those of the running averages; the checkpoint is left as it was.
    let before = run_files(&run);
    analyze_all_samples(run_s, &[]);
    assert_eq!(run_files(&run), before, "batch statistics are never saved");
    let batch = rows(&analysis.join("hidden_condition.csv"));
    assert_rows_are_the_taps(&batch, &taps(&run, &data, true));
    let differing = batch
        .iter()
        .zip(&running)
        .filter(|(b, r)| !close(b.number("sigma_max"), r.number("sigma_max"), 1e-2, 0.0))
        .count();
    assert!(
        differing > 0,
        "batch and running BN statistics give the same representations"
    );
}
