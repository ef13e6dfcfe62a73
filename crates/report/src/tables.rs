//! Tables I-IV as the paper lays them out, with our numbers, the paper's and the difference.

use crate::paper_reference::{self, PaperCell, PaperTable, PAPER_TABLES};
use crate::results::{Results, RunResult};
use crate::ProfileDescription;
use deepskip_runs::schema::RunState;

/// The mean of one measurement over seeds and its spread (sample standard deviation; zero for
/// a single seed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeedSpread {
    pub mean: f64,
    pub spread: f64,
    pub seeds: usize,
}

impl SeedSpread {
    /// `None` when there is no value at all.
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let spread = if values.len() > 1 {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        Some(Self {
            mean,
            spread,
            seeds: values.len(),
        })
    }

    /// "93.41%" or "93.41 ± 0.20%".
    pub fn percent(&self) -> String {
        if self.seeds > 1 {
            format!("{:.2} ± {:.2}%", self.mean * 100.0, self.spread * 100.0)
        } else {
            format!("{:.2}%", self.mean * 100.0)
        }
    }
}

/// One model's row of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    pub model: String,
    /// Runs with a measured accuracy (finished or diverged).
    pub measured_runs: usize,
    pub train_acc: Option<SeedSpread>,
    pub test_acc: Option<SeedSpread>,
    pub params: Option<u64>,
    pub paper: Option<&'static PaperCell>,
    /// Why the row is empty or incomplete (skipped, diverged, not run).
    pub notes: Vec<String>,
}

impl TableRow {
    /// Our mean minus the paper's, in percentage points.
    pub fn train_diff_points(&self) -> Option<f64> {
        Some((self.train_acc?.mean - self.paper?.train_acc) * 100.0)
    }
    pub fn test_diff_points(&self) -> Option<f64> {
        Some((self.test_acc?.mean - self.paper?.test_acc) * 100.0)
    }
}

/// One of Tables I-IV with our results.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultTable {
    pub paper: &'static PaperTable,
    pub rows: Vec<TableRow>,
    /// How this table's runs went (epochs, device, time, seeds); `None` when none ran. The
    /// profile and the paper's protocol are the same for every table and said once elsewhere.
    pub runs_line: Option<String>,
    /// Set when nothing of this table was run, with the reason.
    pub not_run: Option<String>,
}

const IMAGENET_NOT_RUN: &str = "no ImageNet directory was given (`--imagenet <dir>`): the \
    101-layer ImageNet models need the ILSVRC-2012 images, which cannot be downloaded \
    automatically, and days of GPU time";

/// Builds Tables I-IV from a results directory.
pub fn build_tables(results: &Results) -> Vec<ResultTable> {
    PAPER_TABLES
        .iter()
        .map(|paper| build_table(paper, results))
        .collect()
}

fn build_table(paper: &'static PaperTable, results: &Results) -> ResultTable {
    let runs: Vec<&RunResult> = results.runs_for(paper.dataset).collect();
    let mut models: Vec<String> = paper.models.iter().map(|m| m.to_string()).collect();
    for run in &runs {
        let model = run.summary.model.to_ascii_lowercase();
        if !models.contains(&model) {
            models.push(model);
        }
    }
    let mut rows: Vec<TableRow> = models
        .iter()
        .map(|model| build_row(paper, model, &runs))
        .collect();
    let not_run = if runs.iter().all(|r| r.summary.state == RunState::Skipped) {
        Some(not_run_reason(paper, &runs))
    } else {
        None
    };
    // The table-wide reason says it once; repeating it on every row only adds noise.
    if not_run.is_some() {
        rows.iter_mut().for_each(|row| row.notes.clear());
    }
    ResultTable {
        paper,
        runs_line: runs_line(&runs),
        rows,
        not_run,
    }
}

fn build_row(paper: &'static PaperTable, model: &str, runs: &[&RunResult]) -> TableRow {
    let mine: Vec<&&RunResult> = runs
        .iter()
        .filter(|r| r.summary.model.eq_ignore_ascii_case(model))
        .collect();
    let measured: Vec<&&RunResult> = mine
        .iter()
        .copied()
        .filter(|r| matches!(r.summary.state, RunState::Finished | RunState::Diverged))
        .collect();
    let collect = |f: fn(&RunResult) -> Option<f64>| -> Vec<f64> {
        measured.iter().filter_map(|r| f(r)).collect()
    };
    let mut notes = Vec::new();
    if mine.is_empty() {
        notes.push("not run".to_string());
    }
    for run in &mine {
        let s = &run.summary;
        let why = s.reason.as_deref().unwrap_or("no reason recorded");
        match s.state {
            RunState::Finished => {}
            RunState::Diverged => notes.push(format!("seed {} diverged: {why}", s.seed)),
            RunState::Skipped => notes.push(format!("seed {} skipped: {why}", s.seed)),
            RunState::Running | RunState::Interrupted => {
                notes.push(format!("seed {} unfinished ({:?}): {why}", s.seed, s.state))
            }
        }
    }
    TableRow {
        model: model.to_string(),
        measured_runs: measured.len(),
        train_acc: SeedSpread::of(&collect(|r| r.summary.train_acc)),
        test_acc: SeedSpread::of(&collect(|r| r.summary.test_acc)),
        params: mine.iter().map(|r| r.summary.params).find(|&p| p > 0),
        paper: paper_reference::paper_cell(paper.dataset, model),
        notes,
    }
}

fn not_run_reason(paper: &PaperTable, runs: &[&RunResult]) -> String {
    let mut reasons: Vec<String> = runs
        .iter()
        .filter_map(|r| r.summary.reason.clone())
        .collect();
    reasons.dedup();
    if !reasons.is_empty() {
        reasons.join("; ")
    } else if paper.dataset == "imagenet" {
        IMAGENET_NOT_RUN.to_string()
    } else {
        format!(
            "{} was not requested in this reproduction",
            paper.dataset_label
        )
    }
}

fn runs_line(runs: &[&RunResult]) -> Option<String> {
    let ran: Vec<&&RunResult> = runs
        .iter()
        .filter(|r| r.summary.state != RunState::Skipped)
        .collect();
    let lo = ran.iter().map(|r| r.summary.epochs).min()?;
    let hi = ran.iter().map(|r| r.summary.epochs).max()?;
    let mut parts = vec![if lo == hi {
        format!("{lo} epoch(s) per run")
    } else {
        format!("{lo} to {hi} epochs per run")
    }];
    let mut devices: Vec<&str> = ran.iter().map(|r| r.summary.device.as_str()).collect();
    devices.sort_unstable();
    devices.dedup();
    let seconds: f64 = ran.iter().map(|r| r.summary.seconds).sum();
    parts.push(format!(
        "device {}; {:.0} s of training in all",
        devices.join(", "),
        seconds
    ));
    let mut seeds: Vec<u64> = ran.iter().map(|r| r.summary.seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    if seeds.len() > 1 {
        parts.push(format!(
            "{} seeds: mean ± sample standard deviation",
            seeds.len()
        ));
    }
    Some(parts.join("; "))
}

fn points(diff: Option<f64>) -> String {
    diff.map(|d| format!("{d:+.2}"))
        .unwrap_or_else(|| "—".into())
}

fn percent(value: Option<SeedSpread>) -> String {
    value.map(|v| v.percent()).unwrap_or_else(|| "—".into())
}

fn paper_percent(value: Option<f64>) -> String {
    value
        .map(|v| format!("{:.2}%", v * 100.0))
        .unwrap_or_else(|| "—".into())
}

/// "2.47M".
pub fn millions(params: u64) -> String {
    format!("{:.2}M", params as f64 / 1e6)
}

impl ResultTable {
    /// "Table II — CIFAR-10 (10 classes, chance 10.00%)".
    pub fn title(&self) -> String {
        format!(
            "Table {} — {} ({} classes, chance {:.2}%)",
            self.paper.roman,
            self.paper.dataset_label,
            self.paper.classes,
            self.paper.chance() * 100.0
        )
    }

    /// The table as cells, header first; shared by Markdown and HTML.
    pub fn cells(&self) -> (Vec<&'static str>, Vec<Vec<String>>) {
        let header = vec![
            "Model",
            "Train acc.",
            "Paper",
            "Δ (points)",
            "Test acc.",
            "Paper",
            "Δ (points)",
            "Params",
            "Paper params",
            "Notes",
        ];
        let rows = self
            .rows
            .iter()
            .map(|row| {
                vec![
                    paper_reference::model_label(&row.model),
                    percent(row.train_acc),
                    paper_percent(row.paper.map(|p| p.train_acc)),
                    points(row.train_diff_points()),
                    percent(row.test_acc),
                    paper_percent(row.paper.map(|p| p.test_acc)),
                    points(row.test_diff_points()),
                    row.params.map(millions).unwrap_or_else(|| "—".into()),
                    row.paper
                        .map(|p| format!("{}M", p.params_millions))
                        .unwrap_or_else(|| "—".into()),
                    row.notes.join("; "),
                ]
            })
            .collect();
        (header, rows)
    }

    /// The table in Markdown, with its protocol line.
    pub fn markdown(&self) -> String {
        let mut out = format!("## {}\n\n", self.title());
        if let Some(reason) = &self.not_run {
            out.push_str(&format!("**Not run:** {reason}.\n\n"));
        }
        let (header, rows) = self.cells();
        out.push_str(&format!("| {} |\n", header.join(" | ")));
        out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
        for row in rows {
            let escaped: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
            out.push_str(&format!("| {} |\n", escaped.join(" | ")));
        }
        if let Some(line) = &self.runs_line {
            out.push_str(&format!("\nRuns: {line}.\n"));
        }
        out
    }

    /// The table as CSV: accuracies as fractions, differences in percentage points.
    pub fn csv(&self) -> Result<String, csv::Error> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record([
            "table",
            "dataset",
            "model",
            "seeds",
            "train_acc",
            "train_acc_spread",
            "test_acc",
            "test_acc_spread",
            "params",
            "paper_train_acc",
            "paper_test_acc",
            "paper_params_millions",
            "train_diff_points",
            "test_diff_points",
            "notes",
        ])?;
        let opt = |v: Option<f64>| v.map(|x| format!("{x}")).unwrap_or_default();
        for row in &self.rows {
            writer.write_record([
                self.paper.roman.to_string(),
                self.paper.dataset.to_string(),
                row.model.clone(),
                row.measured_runs.to_string(),
                opt(row.train_acc.map(|s| s.mean)),
                opt(row.train_acc.map(|s| s.spread)),
                opt(row.test_acc.map(|s| s.mean)),
                opt(row.test_acc.map(|s| s.spread)),
                row.params.map(|p| p.to_string()).unwrap_or_default(),
                opt(row.paper.map(|p| p.train_acc)),
                opt(row.paper.map(|p| p.test_acc)),
                opt(row.paper.map(|p| p.params_millions)),
                opt(row.train_diff_points()),
                opt(row.test_diff_points()),
                self.not_run.clone().unwrap_or_else(|| row.notes.join("; ")),
            ])?;
        }
        let bytes = writer.into_inner().map_err(|e| e.into_error())?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// `tables.md`: a header naming the profile, then Tables I-IV.
pub fn tables_markdown(tables: &[ResultTable], profile: &ProfileDescription) -> String {
    let mut out = format!(
        "# Results of the reproduction ({})\n\nOur accuracies next to the paper's \
         (Oyedotun et al., IEEE TNNLS 2023, Tables I-IV); Δ is ours minus the paper's, in \
         percentage points.\n\n",
        profile.one_line()
    );
    for table in tables {
        out.push_str(&table.markdown());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_sample_standard_deviation() {
        let s = SeedSpread::of(&[0.5, 0.7]).unwrap();
        assert!((s.mean - 0.6).abs() < 1e-12);
        assert!((s.spread - 0.141_421_356).abs() < 1e-6);
        assert_eq!(s.percent(), "60.00 ± 14.14%");
        assert_eq!(SeedSpread::of(&[0.25]).unwrap().percent(), "25.00%");
        assert!(SeedSpread::of(&[]).is_none());
    }
}
