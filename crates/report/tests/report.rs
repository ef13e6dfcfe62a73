//! The whole report on a synthetic results directory: every file exists and parses, the paper's
//! numbers appear, infinite condition numbers are marked and the text names the right layers.

mod fixture;

use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use deepskip_report::figures::INFINITY_LABEL;
use deepskip_report::{write_report, ProfileDescription, ReportFiles};

struct Written {
    dir: tempfile::TempDir,
    files: ReportFiles,
}

/// Rendering is the slow part: write the report once and share it between the tests.
fn written() -> &'static Written {
    static WRITTEN: OnceLock<Written> = OnceLock::new();
    WRITTEN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        fixture::write_results(dir.path());
        let profile = ProfileDescription::new(
            "quick",
            vec![
                "width multiplier 0.25".into(),
                "2,000 training images".into(),
            ],
        );
        let files = write_report(dir.path(), &profile).expect("report written");
        Written { dir, files }
    })
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_table_csv_parses_with_the_papers_rows() {
    let w = written();
    assert_eq!(w.files.table_csvs.len(), 4);
    for (i, path) in w.files.table_csvs.iter().enumerate() {
        assert!(path.ends_with(format!("table_{}.csv", i + 1)));
        let mut reader = csv::Reader::from_path(path).unwrap();
        let headers = reader.headers().unwrap().clone();
        assert!(headers.iter().any(|h| h == "paper_test_acc"));
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 3, "{}", path.display());
    }
    let mut reader = csv::Reader::from_path(&w.files.table_csvs[1]).unwrap();
    let resnet = reader
        .records()
        .map(|r| r.unwrap())
        .find(|r| &r[2] == "resnet-164")
        .unwrap();
    assert_eq!(&resnet[10], "0.9353");
    let ours: f64 = resnet[6].parse().unwrap();
    let diff: f64 = resnet[13].parse().unwrap();
    assert!((diff - (ours - 0.9353) * 100.0).abs() < 1e-9);
}

#[test]
fn tables_markdown_has_paper_numbers_spread_and_reasons() {
    let md = read(&written().files.tables_markdown);
    for needle in [
        "Table I — MNIST",
        "Table IV — ImageNet-2012 (top-1)",
        "93.53%",
        "99.72%",
        "77.32%",
        "profile `quick`",
        "width multiplier 0.25",
        "could not be obtained",
        "--imagenet <dir>",
    ] {
        assert!(md.contains(needle), "tables.md lacks {needle:?}:\n{md}");
    }
    // Two seeds of ResNet-164 on MNIST: mean ± spread, 0.9752 and 0.9792 (mean 97.72%).
    assert!(md.contains("97.72 ± 0.28%"), "{md}");
}

#[test]
fn svg_figures_have_the_series_and_mark_infinity() {
    let w = written();
    let svgs: Vec<&std::path::PathBuf> = w
        .files
        .figures
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    // Per data set: training, 3 histogram figures, weight and hidden condition, effective
    // rank, and a spectrum heat map per model.
    assert_eq!(svgs.len(), 20);
    for path in &svgs {
        let svg = read(path);
        assert!(svg.trim_start().starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    }
    for dataset in ["mnist", "cifar10"] {
        let hidden = read(
            &w.dir
                .path()
                .join(format!("figures/condition_hidden_{dataset}.svg")),
        );
        for label in ["PlainNet-164", "ResNet-164", "ResNeXt-164", INFINITY_LABEL] {
            assert!(hidden.contains(label), "{dataset}: no {label:?}");
        }
        let training = read(&w.dir.path().join(format!("figures/training_{dataset}.svg")));
        assert!(training.contains("ResNeXt-164") && training.contains("epoch"));
        let weights = read(
            &w.dir
                .path()
                .join(format!("figures/condition_weights_{dataset}.svg")),
        );
        assert!(
            !weights.contains(INFINITY_LABEL),
            "no weight is singular in the fixture"
        );
    }
}

#[test]
fn png_figures_decode_and_are_drawn() {
    let w = written();
    let pngs: Vec<_> = w
        .files
        .figures
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    assert_eq!(pngs.len(), 20);
    for path in pngs {
        let image = image::open(path).unwrap().to_rgb8();
        assert!(image.width() >= 800 && image.height() >= 400);
        let inked = image.pixels().filter(|p| p.0 != [255, 255, 255]).count();
        assert!(inked > 5_000, "{} is nearly blank", path.display());
    }
}

#[test]
fn html_is_self_contained_and_explains_the_numbers() {
    let w = written();
    let html = read(&w.files.html);
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    assert_eq!(html.matches("<svg").count(), 14, "every figure inline");
    assert_eq!(
        html.matches("<img alt=\"spectrum_hidden_").count(),
        6,
        "heat maps inline as PNG"
    );
    assert!(!html.contains("src=\"http"), "no external resources");
    for needle in [
        "Profile <b>quick</b>",
        "width multiplier 0.25",
        "93.53%",
        "PlainNet-164&#39;s hidden representation is singular (κ = ∞) from layer 83 on",
        "PlainNet-164&#39;s hidden representation is singular (κ = ∞) from layer 100 on",
        "ResNet-164&#39;s hidden representation is never singular",
        "within 1.6 points of chance",
        "ResNeXt-164&#39;s representations are better conditioned",
        "Like for like (block outputs of the same width D = 4096: ResNeXt-164&#39;s stage 3, \
         18 layers; ResNet-164&#39;s stage 1, 27 layers)",
    ] {
        assert!(html.contains(needle), "report.html lacks {needle:?}");
    }
}

#[test]
fn non_finite_layers_have_their_own_marker_and_legend() {
    let w = written();
    let hidden = |dataset: &str| {
        read(
            &w.dir
                .path()
                .join(format!("figures/condition_hidden_{dataset}.svg")),
        )
    };
    // CIFAR-10's PlainNet has NaN/inf layers 160-163; MNIST's none.
    assert!(hidden("cifar10").contains("NaN/inf values"));
    assert!(!hidden("mnist").contains("NaN/inf values"));
    assert!(hidden("cifar10").contains("(4 of them NaN/inf)"));
    let ranks = read(
        &w.dir
            .path()
            .join("figures/effective_rank_hidden_cifar10.svg"),
    );
    for label in [
        "PlainNet-164",
        "ResNet-164",
        "ResNeXt-164",
        "min(N, D) = 64",
        "NaN/inf values",
    ] {
        assert!(
            ranks.contains(label),
            "effective rank figure lacks {label:?}"
        );
    }
}

/// Pixels of `png` equal to `colour`.
fn pixels_of(png: &Path, colour: [u8; 3]) -> usize {
    let image = image::open(png).unwrap().to_rgb8();
    image.pixels().filter(|p| p.0 == colour).count()
}

#[test]
fn spectrum_heat_maps_show_zeros_and_missing_layers_where_the_spectra_have_them() {
    let w = written();
    let png = |model: &str| {
        w.dir
            .path()
            .join(format!("figures/spectrum_hidden_cifar10_{model}.png"))
    };
    // PlainNet: 44 of 64 values exactly zero from layer 83 on (black), four layers without a
    // spectrum (grey columns); ResNet: neither.
    // (Each legend has one swatch of both colours.)
    let (black, grey) = ([0, 0, 0], [205, 205, 205]);
    let plain = png("plainnet-164");
    let resnet = png("resnet-164");
    assert!(pixels_of(&plain, black) > pixels_of(&resnet, black) + 20_000);
    assert!(pixels_of(&plain, grey) > pixels_of(&resnet, grey) + 2_000);
    assert!(pixels_of(&resnet, grey) < 1_000);
    // The colour scale is used: many distinct colours.
    let image = image::open(resnet).unwrap().to_rgb8();
    let mut colours: Vec<[u8; 3]> = image.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 60, "{} colours", colours.len());
}

#[test]
fn html_says_each_reason_and_the_profile_once() {
    let html = read(&written().files.html);
    // CIFAR-100 was skipped for all three models: the reason stands under Table III only; the
    // findings and the list of runs refer to it.
    assert_eq!(html.matches("could not be obtained").count(), 1, "{html}");
    assert!(html.contains("were not run; the reason is given under Table III"));
    assert_eq!(
        html.matches("not run: see <a href=\"#table-3\">Table III</a>")
            .count(),
        3
    );
    // The profile line appears in the Protocol section, not again under every table.
    assert_eq!(
        html.matches("reduced from the paper&#39;s protocol:")
            .count(),
        1
    );
    assert_eq!(
        html.matches("Profile and protocol:").count(),
        2,
        "two tables ran"
    );
}

#[test]
fn rerunning_replaces_outputs_without_temporaries() {
    let dir = tempfile::tempdir().unwrap();
    fixture::write_results(dir.path());
    let profile = ProfileDescription::new("paper", vec![]);
    let first = write_report(dir.path(), &profile).unwrap();
    let second = write_report(dir.path(), &profile).unwrap();
    assert_eq!(first, second);
    assert!(read(&second.html).contains("the paper&#39;s full protocol"));
    let leftovers: Vec<_> = fs::read_dir(dir.path().join("figures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn toy_results_without_full_analysis_still_report() {
    use deepskip_runs::schema::{EpochMetrics, RunState, RunSummary};
    let dir = tempfile::tempdir().unwrap();
    let summary = |model: &str, state: RunState, reason: Option<&str>| RunSummary {
        dataset: "mnist".into(),
        model: model.into(),
        depth: 20,
        params: 270_000,
        train_acc: Some(0.5),
        test_acc: Some(0.45),
        state,
        reason: reason.map(String::from),
        epochs: 1,
        seconds: 2.0,
        device: "cpu".into(),
        profile: "toy".into(),
        seed: 1,
        paper_train_acc: None,
        paper_test_acc: None,
        run_dir: Some(format!("runs/mnist/{model}-s1")),
        predictions: None,
    };
    let runs = [
        summary("resnet-20", RunState::Finished, None),
        summary(
            "plainnet-20",
            RunState::Diverged,
            Some("loss became NaN at step 7"),
        ),
    ];
    fs::write(
        dir.path().join("summary.json"),
        serde_json::to_string(&runs).unwrap(),
    )
    .unwrap();
    let run = dir.path().join("runs/mnist/resnet-20-s1");
    fs::create_dir_all(run.join("analysis")).unwrap();
    let metrics = EpochMetrics {
        epoch: 1,
        step: 4,
        train_loss: 2.1,
        train_acc: 0.5,
        test_loss: 2.2,
        test_acc: 0.45,
        lr: 0.1,
        seconds: 2.0,
        images_per_sec: 100.0,
        train_top5: None,
        test_top5: None,
        skipped_steps: 0,
        bn_overflow: None,
    };
    fs::write(
        run.join("metrics.jsonl"),
        serde_json::to_string(&metrics).unwrap(),
    )
    .unwrap();
    // Every layer singular: the plot has no finite value to scale its axis by.
    fs::write(
        run.join("analysis/hidden_condition.csv"),
        "layer,name,shape,sigma_max,sigma_min,kappa,rank\n1,conv1,4x8,1,0,inf,2\n2,conv2,4x8,1,0,inf,1\n",
    )
    .unwrap();

    let files = write_report(dir.path(), &ProfileDescription::new("toy", vec![])).unwrap();
    let names: Vec<String> = files
        .figures
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "training_mnist.svg",
            "training_mnist.png",
            "condition_hidden_mnist.svg",
            "condition_hidden_mnist.png"
        ]
    );
    let table = read(&files.table_csvs[0]);
    assert!(
        table.contains("resnet-20") && table.contains("loss became NaN"),
        "{table}"
    );
    let html = read(&files.html);
    assert!(
        html.contains("ResNet-20&#39;s hidden representation is singular (κ = ∞) from layer 1 on")
    );
    assert!(html.contains("a run diverged"));
}
