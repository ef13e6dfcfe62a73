//! The "Beyond the paper" section on a synthetic onset study: the text carries the study's
//! numbers, and the figures are drawn from the data (singular cells black, non-finite ones
//! magenta, each rule's line in its colour).

mod fixture;

use std::fs;
use std::path::Path;

use deepskip_report::beyond::onset_data::{
    onset_dir, LayerMagnitude, OnsetLayer, OnsetPoint, OnsetRun, ValueRange, ONSET_FILE,
};
use deepskip_report::{write_report, ProfileDescription};
use deepskip_spectra::records::LayerStatus;

const LAYERS: usize = 20;

/// A layer that is full rank before `onset` and rank 1 from it on; non-finite from
/// `non_finite` on.
fn layer(layer: usize, onset: Option<usize>, non_finite: Option<usize>) -> OnsetLayer {
    let singular = onset.is_some_and(|o| layer >= o);
    let nan = non_finite.is_some_and(|n| layer >= n);
    OnsetLayer {
        layer,
        full_rank: 16,
        status: if nan {
            LayerStatus::NonFinite
        } else if singular {
            LayerStatus::RankDeficient
        } else {
            LayerStatus::FullRank
        },
        kappa: if nan {
            f64::NAN
        } else if singular {
            f64::INFINITY
        } else {
            10f64.powf(1.0 + layer as f64 / 5.0)
        },
        rank: if singular || nan { 1 } else { 16 },
        rank_numpy_f32: if singular || nan { 1 } else { 16 },
        effective_rank: if singular { 1.0 } else { 8.0 },
        stable_rank: 2.0,
        bn_dead: nan,
    }
}

fn pass(onset: Option<usize>, non_finite: Option<usize>) -> Vec<OnsetLayer> {
    (1..=LAYERS).map(|l| layer(l, onset, non_finite)).collect()
}

fn weights(scale: f64, gradient: Option<f64>) -> Vec<LayerMagnitude> {
    (1..=LAYERS)
        .map(|l| LayerMagnitude {
            layer: l,
            max_abs_weight: scale * l as f64,
            bn_scale: Some(ValueRange {
                min: 0.5,
                max: scale,
            }),
            bn_shift: Some(ValueRange {
                min: -1.0,
                max: 1.0,
            }),
            running_var_max: Some(if scale > 100.0 { f64::INFINITY } else { 1.0 }),
            running_finite: Some(scale <= 100.0 || l < 15),
            grad_norm: gradient.map(|g| g / l as f64),
        })
        .collect()
}

fn point(step: u64, onset: Option<usize>, scale: f64, gradient: Option<f64>) -> OnsetPoint {
    OnsetPoint {
        step,
        epoch_end: (step == 8).then_some(2),
        batch: pass(onset, None),
        running: pass(
            onset.map(|o| o - 1),
            if scale > 100.0 { Some(15) } else { None },
        ),
        batch_f64: pass(None, None),
        weights: weights(scale, gradient),
        seconds: 1.0,
    }
}

fn study(model: &str, points: Vec<OnsetPoint>, planned: Vec<u64>) -> OnsetRun {
    OnsetRun {
        dataset: "mnist".into(),
        model: model.into(),
        seed: 0,
        config_hash: "h".into(),
        samples: 16,
        layer_count: LAYERS,
        steps_per_epoch: 4,
        total_steps: 8,
        planned_steps: planned,
        lost_steps: Vec::new(),
        points,
    }
}

fn write_study(root: &Path, run: &OnsetRun) {
    let dir = onset_dir(root)
        .join(&run.dataset)
        .join(format!("{}-s{}", run.model, run.seed));
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(ONSET_FILE), serde_json::to_vec(run).unwrap()).unwrap();
}

fn pixels_of(path: &Path, color: [u8; 3]) -> usize {
    let image = image::open(path).unwrap().to_rgb8();
    image.pixels().filter(|p| p.0 == color).count()
}

fn non_white_share(path: &Path) -> f64 {
    let image = image::open(path).unwrap().to_rgb8();
    let total = image.pixels().count() as f64;
    image.pixels().filter(|p| p.0 != [255, 255, 255]).count() as f64 / total
}

#[test]
fn the_section_reports_the_studys_numbers_and_draws_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    fixture::write_results(dir.path());
    let plain = study(
        "plainnet-20",
        vec![
            point(0, None, 1.0, Some(3e10)),
            point(1, Some(7), 3e8, Some(1e4)),
            point(8, Some(2), 2e9, None),
        ],
        vec![0, 1, 8],
    );
    write_study(dir.path(), &plain);
    write_study(
        dir.path(),
        &study("resnet-20", vec![point(0, None, 1.0, None)], vec![0]),
    );
    // A study moved aside is not read.
    let old = onset_dir(dir.path())
        .join("mnist")
        .join("resnet-20-s0.old-1");
    fs::create_dir_all(&old).unwrap();
    fs::write(old.join(ONSET_FILE), "not json").unwrap();

    let files = write_report(dir.path(), &ProfileDescription::new("quick", Vec::new())).unwrap();
    let html = fs::read_to_string(&files.html).unwrap();
    assert!(html.contains("id=\"beyond\""), "the section is on the page");
    assert!(html.contains("href=\"#beyond\""), "and in the navigation");
    assert!(
        html.contains("2 of 2 freshly initialised networks"),
        "neither fixture network is singular at step 0"
    );
    assert!(html.contains("PlainNet-20 on MNIST during training"));
    assert!(
        html.contains("step 0: none; step 1: 7; step 8: 2"),
        "the onset of each point under the default rule"
    );
    assert!(
        html.contains("step 1: 6; step 8: 1"),
        "the running-statistics onset"
    );
    assert!(
        html.contains("layer 2&#39;s largest |w| went from 2 at step 0 to 4e9 at step 8"),
        "layer 2's growth"
    );
    assert!(
        html.contains("6 (first 15)"),
        "non-finite running statistics at step 8"
    );

    let figure = |stem: &str| dir.path().join("figures").join(format!("{stem}.png"));
    let heatmap = figure("onset_heatmap_mnist_plainnet-20_s0");
    let curve = figure("onset_layer_mnist_plainnet-20_s0");
    let growth = figure("onset_weights_mnist_plainnet-20_s0");
    for f in [&heatmap, &curve, &growth] {
        assert!(files.figures.contains(f), "{} listed", f.display());
        assert!(non_white_share(f) > 0.05, "{} is drawn", f.display());
    }
    // 33 singular cells in the batch panel and 23 in the running one (thousands of pixels
    // each, far more than the black text); 12 non-finite cells in the running panel (the
    // legend's magenta swatch alone is about 300 pixels).
    assert!(
        pixels_of(&heatmap, [0, 0, 0]) > 50_000,
        "black singular cells"
    );
    assert!(
        pixels_of(&heatmap, [230, 0, 200]) > 10_000,
        "magenta non-finite cells"
    );
    assert!(
        pixels_of(&curve, [214, 39, 40]) > 100,
        "the default rule's line"
    );
    // The initialisation-only ResNet gets no figures of its own.
    assert!(!figure("onset_heatmap_mnist_resnet-20_s0").exists());
}

#[test]
fn without_a_study_there_is_no_section() {
    let dir = tempfile::tempdir().unwrap();
    fixture::write_results(dir.path());
    let files = write_report(dir.path(), &ProfileDescription::new("quick", Vec::new())).unwrap();
    let html = fs::read_to_string(files.html).unwrap();
    assert!(!html.contains("Beyond the paper"));
    assert!(!files
        .figures
        .iter()
        .any(|f| f.to_string_lossy().contains("onset_")));
}
