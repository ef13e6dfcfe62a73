//! `bench.json` (everything measured) and `bench.md` (the table a person reads, rendered from
//! the same JSON), each written to a temporary file and renamed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{PIPELINE_TARGET, RATIO_TARGET};
use crate::cmd::write_atomic;
use serde_json::Value;

/// Writes `<dir>/bench.json` and `<dir>/bench.md` (`markdown`, rendered from `report`).
pub fn write(dir: &Path, report: &Value, markdown: &str) -> Result<[PathBuf; 2]> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let json = dir.join("bench.json");
    let md = dir.join("bench.md");
    write_atomic(&json, &(serde_json::to_string_pretty(report)? + "\n"))?;
    write_atomic(&md, markdown)?;
    Ok([json, md])
}

/// The readable report: one row per measurement, ratio = deepskip over the reference.
pub fn markdown(report: &Value) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# deepskip benchmark ({})\n", text(&report["mode"]));
    let machine = &report["machine"];
    let _ = writeln!(
        md,
        "Machine: {}, {} logical cores, {} memory; {}; {}; BLAS environment {}.\n",
        text(&machine["cpu"]),
        text(&machine["logical_cores"]),
        text(&machine["memory_total"]),
        text(&machine["python_stack"]),
        text(&machine["system_openblas"]),
        machine["blas_environment"],
    );
    md.push_str(
        "Ratios are deepskip / reference (above 1: deepskip faster), one per A-B pair run \
         alternately, reported as the median of the pairs (the individual ratios in brackets).\n\n",
    );
    md.push_str("| measurement | deepskip | reference | ratio (median) [pairs] | target | met |\n");
    md.push_str("|---|---|---|---|---|---|\n");
    for train in &list(&report["training"]) {
        let ips = &train["images_per_second"];
        let flops = &train["gflops_per_second"];
        let _ = writeln!(
            md,
            "| {} | {} img/s ({} GFLOP/s) | {} img/s ({} GFLOP/s) PyTorch eager | {} | >= {RATIO_TARGET:.1} | {} |",
            text(&train["label"]),
            num(&ips["deepskip_median"], 1),
            num(&flops["deepskip"], 2),
            num(&ips["pytorch_median"], 1),
            num(&flops["pytorch"], 2),
            ratio_cell(train),
            met(&train["median_ratio"], RATIO_TARGET),
        );
    }
    for analysis in &list(&report["analysis"]) {
        let tp = &analysis["matrices_per_second"];
        let _ = writeln!(
            md,
            "| {} | {} matrices/s | {} matrices/s NumPy | {} | >= {RATIO_TARGET:.1} | {} |",
            text(&analysis["label"]),
            num(&tp["deepskip_median"], 3),
            num(&tp["numpy_median"], 3),
            ratio_cell(analysis),
            met(&analysis["median_ratio"], RATIO_TARGET),
        );
    }
    let data = &report["pipeline"];
    if data.is_object() {
        let _ = writeln!(
            md,
            "| CIFAR-10 augmented batches of 128 ({}) | {} img/s ({} batches/s) | fastest training step: {} | {} | >= {PIPELINE_TARGET}x | {} |",
            cell(&data["cifar_origin"]),
            num(&data["cifar_images_per_second_median"], 0),
            num(&data["cifar_batches_per_second_median"], 1),
            with_unit(num(&data["fastest_training_images_per_second"], 1), " img/s"),
            with_unit(num(&data["cifar_over_training_ratio"], 1), "x"),
            met(&data["cifar_over_training_ratio"], PIPELINE_TARGET),
        );
        let _ = writeln!(
            md,
            "| ImageNet JPEG decode + random-resized-crop 224 (generated 500x375 JPEGs) | {} img/s | - | - | - | - |",
            num(&data["imagenet_224_images_per_second_median"], 0),
        );
    }
    phases_section(&mut md, &list(&report["training"]));
    md.push_str("\n## Peak memory (max RSS of the child process, MiB)\n\n");
    md.push_str("| measurement | deepskip | reference |\n|---|---|---|\n");
    for row in list(&report["training"])
        .iter()
        .chain(list(&report["analysis"]).iter())
    {
        let rss = &row["peak_rss_kib"];
        let reference = if rss["pytorch"].is_null() {
            &rss["numpy"]
        } else {
            &rss["pytorch"]
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            text(&row["label"]),
            mib(&rss["deepskip"]),
            mib(reference)
        );
    }
    if data.is_object() {
        let _ = writeln!(md, "| data pipeline | {} | - |", mib(&data["peak_rss_kib"]));
    }
    let agreements: Vec<String> = list(&report["analysis"])
        .iter()
        .map(|a| {
            let ag = &a["agreement"];
            format!(
                "{}: {} finite kappas agree to {} relative (max difference {}), {} infinite on both sides",
                text(&a["label"]),
                text(&ag["finite"]),
                text(&ag["tolerance"]),
                num_exp(&ag["max_relative_difference"]),
                text(&ag["infinite"]),
            )
        })
        .collect();
    if !agreements.is_empty() {
        md.push_str("\n## Agreement\n\n");
        for line in agreements {
            let _ = writeln!(md, "- {line}");
        }
    }
    let notes = list(&report["notes"]);
    if !notes.is_empty() {
        md.push_str("\n## Notes\n\n");
        for note in notes {
            let _ = writeln!(md, "- {}", text(&note));
        }
    }
    md
}

/// Median milliseconds per phase of a training step, both sides, and each side's malloc setting
/// (it decides whether activation memory is page-faulted back in every step).
fn phases_section(md: &mut String, training: &[Value]) {
    if training.is_empty() {
        return;
    }
    md.push_str(
        "\n## Where a training step's time goes (median ms per step, deepskip / PyTorch)\n\n",
    );
    md.push_str("| measurement | zero_grad + forward + loss | backward | SGD update | heap (deepskip; PyTorch) |\n");
    md.push_str("|---|---|---|---|---|\n");
    for train in training {
        let phase = |name: &str| {
            let ms = &train["median_phase_ms"];
            format!(
                "{} / {}",
                num(&ms["deepskip"][name], 1),
                num(&ms["pytorch"][name], 1)
            )
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {}; {} |",
            text(&train["label"]),
            phase("forward"),
            phase("backward"),
            phase("update"),
            text(&train["heap"]["deepskip"]),
            text(&train["heap"]["pytorch"]),
        );
    }
}

fn list(value: &Value) -> Vec<Value> {
    value.as_array().cloned().unwrap_or_default()
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "n/a".into(),
        other => other.to_string(),
    }
}

/// `value` followed by its unit; for a missing value, why it is missing.
fn with_unit(value: String, unit: &str) -> String {
    if value == "n/a" {
        "n/a (no training measured in this run)".into()
    } else {
        value + unit
    }
}

/// Text for a table cell: one line, no column separators.
fn cell(value: &Value) -> String {
    text(value)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "/")
}

fn num(value: &Value, decimals: usize) -> String {
    value
        .as_f64()
        .map_or_else(|| "n/a".into(), |v| format!("{v:.decimals$}"))
}

fn num_exp(value: &Value) -> String {
    value
        .as_f64()
        .map_or_else(|| "n/a".into(), |v| format!("{v:.1e}"))
}

fn mib(value: &Value) -> String {
    value
        .as_f64()
        .map_or_else(|| "n/a".into(), |kib| format!("{:.0}", kib / 1024.0))
}

fn ratio_cell(row: &Value) -> String {
    let pairs: Vec<String> = list(&row["ratios"]).iter().map(|r| num(r, 2)).collect();
    format!("{} [{}]", num(&row["median_ratio"], 2), pairs.join(", "))
}

fn met(value: &Value, target: f64) -> &'static str {
    match value.as_f64() {
        Some(v) if v >= target => "yes",
        Some(_) => "**no** (see notes)",
        None => "n/a",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report() -> Value {
        json!({
            "mode": "toy",
            "machine": { "cpu": "Test CPU", "logical_cores": 2 },
            "training": [{
                "label": "resnet-8 train step",
                "images_per_second": { "deepskip_median": 120.0, "pytorch_median": 100.0 },
                "gflops_per_second": { "deepskip": 1.5, "pytorch": 1.25 },
                "ratios": [1.2, 1.1, 1.3],
                "median_ratio": 1.2,
                "peak_rss_kib": { "deepskip": 2048, "pytorch": 4096 },
                "median_phase_ms": {
                    "deepskip": { "forward": 30.0, "backward": 65.25, "update": 4.0 },
                    "pytorch": { "forward": 35.0, "backward": 64.0, "update": null },
                },
                "heap": { "deepskip": "tuned", "pytorch": "allocator defaults" },
            }],
            "analysis": [{
                "label": "condition numbers of 2 matrices 4x8 (f32)",
                "matrices_per_second": { "deepskip_median": 5.0, "numpy_median": 10.0 },
                "ratios": [0.5],
                "median_ratio": 0.5,
                "agreement": { "finite": 1, "infinite": 1, "tolerance": 1e-6, "max_relative_difference": 3e-15 },
                "peak_rss_kib": { "deepskip": 1024, "numpy": null },
            }],
            "notes": ["analysis is slower because of X"],
        })
    }

    #[test]
    fn markdown_has_a_row_per_measurement_with_ratios_and_targets() {
        let md = markdown(&report());
        assert!(md.contains("| resnet-8 train step | 120.0 img/s (1.50 GFLOP/s) | 100.0 img/s (1.25 GFLOP/s) PyTorch eager | 1.20 [1.20, 1.10, 1.30] | >= 1.0 | yes |"), "{md}");
        assert!(
            md.contains("| 0.50 [0.50] | >= 1.0 | **no** (see notes) |"),
            "{md}"
        );
        assert!(md.contains("| resnet-8 train step | 2 | 4 |"), "{md}");
        assert!(
            md.contains(
                "1 finite kappas agree to 1e-6 relative (max difference 3.0e-15), 1 infinite"
            ),
            "{md}"
        );
        assert!(md.contains("- analysis is slower because of X"), "{md}");
        assert!(
            md.contains("| resnet-8 train step | 30.0 / 35.0 | 65.2 / 64.0 | 4.0 / n/a | tuned; allocator defaults |"),
            "{md}"
        );
    }

    #[test]
    fn a_multi_line_data_origin_stays_in_one_table_row() {
        let mut report = report();
        report["pipeline"] = json!({
            "cifar_origin": "generated: tried\n  - a | b\n  - c",
            "cifar_images_per_second_median": 1000.0,
            "cifar_over_training_ratio": 20.0,
        });
        let md = markdown(&report);
        let row = md
            .lines()
            .find(|l| l.starts_with("| CIFAR-10 augmented"))
            .unwrap();
        assert!(row.contains("(generated: tried - a / b - c)"), "{row}");
        assert!(row.ends_with("| 20.0x | >= 10x | yes |"), "{row}");
        assert!(
            row.contains("| fastest training step: n/a (no training measured in this run) |"),
            "{row}"
        );
    }

    #[test]
    fn both_files_are_written_and_the_json_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let [json_path, md_path] =
            write(&dir.path().join("bench"), &report(), &markdown(&report())).unwrap();
        let back: Value =
            serde_json::from_str(&std::fs::read_to_string(json_path).unwrap()).unwrap();
        assert_eq!(back, report());
        assert!(std::fs::read_to_string(md_path)
            .unwrap()
            .starts_with("# deepskip benchmark (toy)"));
    }
}
