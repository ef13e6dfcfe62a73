//! `xtask gpu-report`: what `gpu-check.sh` measured, read from its results folder into one
//! `gpu-check.json` and one `gpu-check.md`; with the measured fp32 throughput, the epochs of the
//! `gpu` reproduction profile that fit one GPU-hour.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cmd::write_atomic;

/// Training images one model sees per epoch over the profile's three data sets (MNIST 60,000,
/// CIFAR-10 and CIFAR-100 50,000 each).
pub const IMAGES_PER_MODEL_EPOCH: f64 = 160_000.0;
/// Wall time of an epoch over its training steps: the test pass, the checkpoint, the
/// per-epoch bookkeeping (an assumption until a GPU run measures the whole epoch).
pub const EPOCH_OVERHEAD: f64 = 1.1;
/// The GPU budget of the nine MNIST/CIFAR runs of the `gpu` profile.
pub const BUDGET_SECONDS: f64 = 3600.0;

/// Summarise a gpu-check.sh results folder into gpu-check.json and gpu-check.md (run by the
/// script on the GPU machine; no setup, no build).
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The folder gpu-check.sh wrote (steps.tsv, bench/, runs/).
    #[arg(long)]
    pub results: PathBuf,
    /// The device the script ran on (cpu or cuda).
    #[arg(long)]
    pub device: String,
}

/// One step of the script: its name, exit code and duration (a line of steps.tsv).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub name: String,
    pub exit_code: i32,
    pub seconds: f64,
}

/// One row of a bench.json's `training` list (xtask bench's own output).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchRow {
    pub model: String,
    pub label: String,
    pub precision: String,
    pub images_per_second: BenchThroughput,
    pub median_ratio: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchThroughput {
    pub deepskip_median: Option<f64>,
    pub pytorch_median: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct BenchFile {
    training: Vec<BenchRow>,
}

/// The last line of a run's metrics.jsonl, the fields reported here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastEpoch {
    pub epoch: usize,
    pub train_loss: f64,
    pub test_acc: f64,
    pub images_per_sec: f64,
}

#[derive(Debug, Deserialize)]
struct Status {
    state: String,
}

/// One MNIST run of the script.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainingRun {
    pub model: String,
    pub state: Option<String>,
    pub last_epoch: Option<LastEpoch>,
    /// The analysis files written under `<run>/analysis/`.
    pub analysis_files: Vec<String>,
}

/// The `gpu` profile's epochs from measured fp32 throughput (images/s per model).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileSizing {
    pub fp32_images_per_second: Vec<(String, f64)>,
    pub epochs_for_one_hour: usize,
    pub formula: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub device: String,
    pub passed: bool,
    pub steps: Vec<Step>,
    pub training: Vec<TrainingRun>,
    pub bench: Vec<BenchRow>,
    pub gpu_profile: Option<ProfileSizing>,
}

pub fn run(args: &ReportArgs) -> Result<()> {
    let report = read(&args.results, &args.device)?;
    write_atomic(
        &args.results.join("gpu-check.json"),
        &(serde_json::to_string_pretty(&report)? + "\n"),
    )?;
    write_atomic(&args.results.join("gpu-check.md"), &markdown(&report))?;
    eprintln!(
        "xtask gpu-report: wrote {}/gpu-check.json and gpu-check.md",
        args.results.display()
    );
    Ok(())
}

/// Reads everything the script left in `results`.
pub fn read(results: &Path, device: &str) -> Result<Report> {
    let steps_text = std::fs::read_to_string(results.join("steps.tsv"))
        .with_context(|| format!("reading {}/steps.tsv", results.display()))?;
    let steps = parse_steps(&steps_text)?;
    let bench = bench_rows(&results.join("bench"))?;
    let training = training_runs(&results.join("runs"))?;
    let gpu_profile = (device == "cuda").then(|| profile_sizing(&bench)).flatten();
    Ok(Report {
        device: device.to_string(),
        passed: steps.iter().all(|s| s.exit_code == 0),
        steps,
        training,
        bench,
        gpu_profile,
    })
}

/// `name<TAB>exit code<TAB>seconds` lines.
fn parse_steps(text: &str) -> Result<Vec<Step>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [name, code, seconds] = fields[..] else {
                bail!("steps.tsv line {line:?} is not name, exit code, seconds");
            };
            Ok(Step {
                name: name.to_string(),
                exit_code: code
                    .parse()
                    .with_context(|| format!("exit code in {line:?}"))?,
                seconds: seconds
                    .parse()
                    .with_context(|| format!("seconds in {line:?}"))?,
            })
        })
        .collect()
}

/// The training rows of every `bench/<name>/bench.json`, in name order.
fn bench_rows(dir: &Path) -> Result<Vec<BenchRow>> {
    let mut rows = Vec::new();
    for sub in sorted_dirs(dir)? {
        let file = sub.join("bench.json");
        if !file.is_file() {
            continue; // that bench step failed or ran out of time: steps.tsv says which
        }
        let text = std::fs::read_to_string(&file)?;
        let bench: BenchFile =
            serde_json::from_str(&text).with_context(|| format!("reading {}", file.display()))?;
        rows.extend(bench.training);
    }
    Ok(rows)
}

fn training_runs(dir: &Path) -> Result<Vec<TrainingRun>> {
    sorted_dirs(dir)?
        .into_iter()
        .map(|run| {
            let status: Option<Status> = read_json(&run.join("status.json"))?;
            let last_epoch = match std::fs::read_to_string(run.join("metrics.jsonl")) {
                Ok(text) => text
                    .lines()
                    .rev()
                    .find_map(|line| serde_json::from_str::<LastEpoch>(line).ok()),
                Err(_) => None,
            };
            let analysis_files = sorted_names(&run.join("analysis"))?;
            Ok(TrainingRun {
                model: run
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                state: status.map(|s| s.state),
                last_epoch,
                analysis_files,
            })
        })
        .collect()
}

/// The epochs of the nine runs that fit [`BUDGET_SECONDS`], from the fp32 deepskip throughput
/// of the three 164-layer models; `None` until all three were measured.
pub fn profile_sizing(bench: &[BenchRow]) -> Option<ProfileSizing> {
    let rates: Vec<(String, f64)> = ["plainnet-164", "resnet-164", "resnext-164"]
        .iter()
        .map(|model| {
            let row = bench
                .iter()
                .find(|r| r.model == *model && r.precision == "fp32")?;
            Some((model.to_string(), row.images_per_second.deepskip_median?))
        })
        .collect::<Option<_>>()?;
    Some(ProfileSizing {
        epochs_for_one_hour: epochs_for_budget(&rates.iter().map(|r| r.1).collect::<Vec<_>>()),
        fp32_images_per_second: rates,
        formula: format!(
            "epochs = floor({BUDGET_SECONDS} s / ({EPOCH_OVERHEAD} x {IMAGES_PER_MODEL_EPOCH} \
             images x sum over the three models of 1 / (fp32 images/s)))"
        ),
    })
}

/// `floor(budget / (overhead x images x sum(1 / rate)))`, at least 1.
pub fn epochs_for_budget(rates: &[f64]) -> usize {
    let seconds_per_epoch: f64 = rates
        .iter()
        .map(|r| EPOCH_OVERHEAD * IMAGES_PER_MODEL_EPOCH / r)
        .sum();
    ((BUDGET_SECONDS / seconds_per_epoch).floor() as usize).max(1)
}

fn markdown(report: &Report) -> String {
    let mut md = String::new();
    let verdict = if report.passed {
        "all steps passed"
    } else {
        "**some steps failed**"
    };
    let _ = writeln!(md, "# deepskip GPU check ({}): {verdict}\n", report.device);
    md.push_str("| step | exit code | seconds |\n|---|---|---|\n");
    for s in &report.steps {
        let _ = writeln!(md, "| {} | {} | {:.1} |", s.name, s.exit_code, s.seconds);
    }
    md.push_str("\n## Training step throughput (images/s, median of the runs)\n\n");
    md.push_str("| measurement | deepskip | PyTorch eager | ratio |\n|---|---|---|---|\n");
    let num = |v: Option<f64>, d: usize| v.map_or("n/a".into(), |v| format!("{v:.d$}"));
    for row in &report.bench {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            row.label,
            num(row.images_per_second.deepskip_median, 1),
            num(row.images_per_second.pytorch_median, 1),
            num(row.median_ratio, 2)
        );
    }
    md.push_str("\n## MNIST runs (interrupted, resumed, analysed)\n\n");
    md.push_str("| run | state | epochs | test accuracy | images/s | analysis files |\n");
    md.push_str("|---|---|---|---|---|---|\n");
    for run in &report.training {
        let last = run.last_epoch.as_ref();
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |",
            run.model,
            run.state.as_deref().unwrap_or("n/a"),
            last.map_or("n/a".into(), |l| l.epoch.to_string()),
            num(last.map(|l| l.test_acc), 4),
            num(last.map(|l| l.images_per_sec), 0),
            run.analysis_files.join(", ")
        );
    }
    if let Some(sizing) = &report.gpu_profile {
        let _ = writeln!(
            md,
            "\n## The `gpu` profile\n\n{} epochs fit one GPU-hour: {}.",
            sizing.epochs_for_one_hour, sizing.formula
        );
    }
    md
}

/// Succeeds when `report` (a gpu-check.json) exists, says every step passed and has training
/// and bench results: the CI check of the CPU run.
pub fn check_complete(report: &Path) -> Result<()> {
    let value: Value =
        read_json(report)?.with_context(|| format!("{} is missing", report.display()))?;
    let failed: Vec<&str> = value["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["exit_code"] != 0)
        .filter_map(|s| s["name"].as_str())
        .collect();
    if value["passed"] != true || !failed.is_empty() {
        bail!(
            "the GPU check's CPU run failed steps {failed:?}; see {}",
            report.display()
        );
    }
    for part in ["training", "bench"] {
        if value[part].as_array().is_none_or(Vec::is_empty) {
            bail!("{} has no {part} results", report.display());
        }
    }
    Ok(())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .with_context(|| format!("reading {}", path.display())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
    }
}

fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    Ok(dirs)
}

fn sorted_names(dir: &Path) -> Result<Vec<String>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_hour_at_two_thousand_images_per_second_is_thirteen_epochs() {
        // 3 x 1.1 x 160,000 / 2,000 = 264 s per epoch of the nine runs; 3600 / 264 = 13.6.
        assert_eq!(epochs_for_budget(&[2000.0, 2000.0, 2000.0]), 13);
        assert_eq!(epochs_for_budget(&[1.0, 1.0, 1.0]), 1);
    }

    #[test]
    fn a_results_folder_reads_into_one_report() {
        let dir = tempfile::tempdir().unwrap();
        let results = dir.path();
        std::fs::write(
            results.join("steps.tsv"),
            "start\t0\t1.5\nbench-fp16\t124\t60\n",
        )
        .unwrap();
        let bench = results.join("bench/fp32");
        std::fs::create_dir_all(&bench).unwrap();
        let rows: Vec<Value> = ["plainnet-164", "resnet-164", "resnext-164"]
            .iter()
            .map(|m| {
                serde_json::json!({"model": m, "label": format!("{m} (fp32)"), "precision": "fp32",
                    "images_per_second": {"deepskip_median": 2000.0, "pytorch_median": 1900.0},
                    "median_ratio": 1.05})
            })
            .collect();
        std::fs::write(
            bench.join("bench.json"),
            serde_json::json!({"training": rows}).to_string(),
        )
        .unwrap();
        let run = results.join("runs/resnet-164");
        std::fs::create_dir_all(run.join("analysis")).unwrap();
        std::fs::write(
            run.join("status.json"),
            r#"{"state": "finished", "epoch": 3, "step": 9, "reason": null}"#,
        )
        .unwrap();
        std::fs::write(
            run.join("metrics.jsonl"),
            "{\"epoch\": 3, \"train_loss\": 0.5, \"test_acc\": 0.9, \"images_per_sec\": 800.0}\n{\"torn",
        )
        .unwrap();
        std::fs::write(run.join("analysis/layer_stats.json"), "{}").unwrap();
        let report = read(results, "cuda").unwrap();
        assert!(!report.passed, "the bench step failed");
        assert_eq!(report.steps[1].exit_code, 124);
        assert_eq!(report.bench.len(), 3);
        assert_eq!(report.training[0].state.as_deref(), Some("finished"));
        assert_eq!(report.training[0].last_epoch.as_ref().unwrap().epoch, 3);
        assert_eq!(report.training[0].analysis_files, ["layer_stats.json"]);
        assert_eq!(report.gpu_profile.as_ref().unwrap().epochs_for_one_hour, 13);
        let md = markdown(&report);
        assert!(md.contains("| bench-fp16 | 124 | 60.0 |"), "{md}");
        assert!(
            md.contains("| resnet-164 (fp32) | 2000.0 | 1900.0 | 1.05 |"),
            "{md}"
        );
        assert!(read(results, "cpu").unwrap().gpu_profile.is_none());
        std::fs::write(
            results.join("gpu-check.json"),
            serde_json::to_string(&report).unwrap(),
        )
        .unwrap();
        let err = check_complete(&results.join("gpu-check.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("bench-fp16"), "{err}");
    }
}
