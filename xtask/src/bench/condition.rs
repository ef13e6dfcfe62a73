//! Condition numbers of many matrices, deepskip-spectra against NumPy on the same `.npy` files,
//! with the results checked to agree.
//!
//! The set is split into `pairs` chunks; each chunk is run by deepskip then NumPy, so every
//! pair times the same matrices and each matrix is factored once per side.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use serde_json::{json, Value};

use super::child;
use super::report::{ConditionReport, Kappa, WrittenMatrices};
use super::sides::Sides;
use super::stats::median;

/// Relative agreement required between the two sides' finite condition numbers.
pub const KAPPA_REL_TOL: f64 = 1e-6;

/// How well the two sides agreed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Agreement {
    pub finite: usize,
    pub infinite: usize,
    pub max_relative_difference: f64,
}

/// Same infinite cases, finite ones within `tolerance` relative; errors name the matrix.
pub fn check_agreement(
    names: &[String],
    deepskip: &[Kappa],
    numpy: &[Kappa],
    tolerance: f64,
) -> Result<Agreement> {
    if deepskip.len() != numpy.len() || deepskip.len() != names.len() {
        bail!(
            "kappa counts differ: {} matrices, deepskip {}, numpy {}",
            names.len(),
            deepskip.len(),
            numpy.len()
        );
    }
    let mut agreement = Agreement {
        finite: 0,
        infinite: 0,
        max_relative_difference: 0.0,
    };
    for ((name, a), b) in names.iter().zip(deepskip).zip(numpy) {
        match (a, b) {
            (Kappa::Infinite, Kappa::Infinite) => agreement.infinite += 1,
            (Kappa::Finite(x), Kappa::Finite(y)) => {
                let rel = (x - y).abs() / x.abs().max(y.abs());
                // A NaN difference fails too.
                if rel.is_nan() || rel > tolerance {
                    bail!("{name}: kappa {x} (deepskip) vs {y} (numpy) differ by {rel:.2e} relative, above {tolerance:.0e}");
                }
                agreement.finite += 1;
                agreement.max_relative_difference = agreement.max_relative_difference.max(rel);
            }
            _ => bail!(
                "{name}: deepskip says kappa {a:?}, numpy {b:?}: one side finds it rank-deficient"
            ),
        }
    }
    Ok(agreement)
}

/// One matrix shape of the analysis benchmark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixSet {
    pub rows: usize,
    pub cols: usize,
    pub count: usize,
}

impl MatrixSet {
    pub fn label(&self) -> String {
        format!(
            "condition numbers of {} matrices {}x{} (f32)",
            self.count, self.rows, self.cols
        )
    }
}

/// Splits `items` into `parts` contiguous chunks of near-equal size (none empty).
pub fn chunks<T: Clone>(items: &[T], parts: usize) -> Vec<Vec<T>> {
    let parts = parts.clamp(1, items.len().max(1));
    let base = items.len() / parts;
    let extra = items.len() % parts;
    let mut start = 0;
    (0..parts)
        .map(|i| {
            let len = base + usize::from(i < extra);
            let chunk = items[start..start + len].to_vec();
            start += len;
            chunk
        })
        .collect()
}

pub fn run(sides: &Sides, set: &MatrixSet, pairs: usize, scratch: &Path) -> Result<Value> {
    let prefix = format!("m{}x{}", set.rows, set.cols);
    let written: WrittenMatrices = child::report(&mut sides.deepskip(&[
        "write-matrices".into(),
        "--dir".into(),
        scratch.display().to_string(),
        "--rows".into(),
        set.rows.to_string(),
        "--cols".into(),
        set.cols.to_string(),
        "--count".into(),
        set.count.to_string(),
        "--prefix".into(),
        prefix,
    ]))?;
    let files: Vec<PathBuf> = written.files;
    let chunked = chunks(&files, pairs);
    let mut kappas: [Vec<Kappa>; 2] = [Vec::new(), Vec::new()];
    let mut seconds: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let runs = sides.alternate(
        &set.label(),
        chunked.len(),
        ("condition", "svd.py"),
        |pair| {
            chunked[pair]
                .iter()
                .map(|f| f.display().to_string())
                .collect()
        },
        |side, report: &ConditionReport| {
            let slot = side as usize;
            seconds[slot].extend(&report.seconds);
            kappas[slot].extend(&report.kappas);
            Ok(report.seconds.len() as f64 / report.seconds.iter().sum::<f64>())
        },
    )?;
    let (throughput, peak_rss) = (runs.throughput, runs.peak_rss_kib);
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let agreement = check_agreement(&names, &kappas[0], &kappas[1], KAPPA_REL_TOL)?;
    Ok(json!({
        "label": set.label(),
        "rows": set.rows,
        "cols": set.cols,
        "matrices": set.count,
        "pairs": chunked.len(),
        "matrices_per_second": {
            "deepskip_runs": throughput.deepskip,
            "numpy_runs": throughput.reference,
            "deepskip_median": median(&throughput.deepskip),
            "numpy_median": median(&throughput.reference),
        },
        "seconds_per_matrix_median": {
            "deepskip": median(&seconds[0]),
            "numpy": median(&seconds[1]),
        },
        "ratios": throughput.ratios(),
        "median_ratio": throughput.median_ratio(),
        "agreement": {
            "finite": agreement.finite,
            "infinite": agreement.infinite,
            "max_relative_difference": agreement.max_relative_difference,
            "tolerance": KAPPA_REL_TOL,
        },
        "peak_rss_kib": { "deepskip": peak_rss[0], "numpy": peak_rss[1] },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("m{i}")).collect()
    }

    #[test]
    fn agreement_needs_close_finite_and_equal_infinite_cases() {
        let a = [Kappa::Finite(100.0), Kappa::Infinite];
        let close = [Kappa::Finite(100.0 * (1.0 + 1e-9)), Kappa::Infinite];
        let ok = check_agreement(&names(2), &a, &close, 1e-6).unwrap();
        assert_eq!((ok.finite, ok.infinite), (1, 1));
        assert!(ok.max_relative_difference > 0.0 && ok.max_relative_difference < 1e-8);

        let far = [Kappa::Finite(100.01), Kappa::Infinite];
        let err = check_agreement(&names(2), &a, &far, 1e-6)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("m0:"), "{err}");
        let flipped = [Kappa::Finite(100.0), Kappa::Finite(1e9)];
        let err = check_agreement(&names(2), &a, &flipped, 1e-6)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("m1") && err.contains("rank-deficient"),
            "{err}"
        );
        assert!(check_agreement(&names(2), &a, &a[..1], 1e-6).is_err());
        let nan = [Kappa::Finite(f64::NAN), Kappa::Infinite];
        assert!(check_agreement(&names(2), &nan, &nan, 1e-6).is_err());
    }

    #[test]
    fn chunks_cover_everything_in_order() {
        let items: Vec<usize> = (0..7).collect();
        let parts = chunks(&items, 3);
        assert_eq!(parts, [vec![0, 1, 2], vec![3, 4], vec![5, 6]]);
        assert_eq!(chunks(&items[..2], 5).len(), 2);
    }
}
