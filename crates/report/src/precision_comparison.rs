//! The same layers analysed with an f32 and an f64 forward pass, side by side
//! (`<run>/analysis/precision_comparison.csv`): how much of a small singular value, or of a
//! collapse, is f32 arithmetic rather than the network.

use deepskip_spectra::records::LayerConditionRow;
use serde::{Deserialize, Serialize};

/// One layer's hidden-representation measures under both precisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrecisionComparisonRow {
    pub layer: usize,
    pub name: String,
    pub sigma_min_f32: f64,
    pub sigma_min_f64: f64,
    pub kappa_f32: f64,
    pub kappa_f64: f64,
    pub rank_f32: usize,
    pub rank_f64: usize,
    pub bn_overflow_f32: bool,
    pub bn_overflow_f64: bool,
    /// `|log10(kappa_f32 / kappa_f64)|`: 0 when the precisions agree, `inf` when exactly one
    /// of them is singular, NaN when a value is missing.
    pub log10_kappa_gap: f64,
}

/// Pairs the rows of the two analyses by layer index; layers analysed in only one are dropped.
pub fn compare_precisions(
    f32_rows: &[LayerConditionRow],
    f64_rows: &[LayerConditionRow],
) -> Vec<PrecisionComparisonRow> {
    f32_rows
        .iter()
        .filter_map(|a| {
            let b = f64_rows.iter().find(|b| b.layer == a.layer)?;
            Some(PrecisionComparisonRow {
                layer: a.layer,
                name: a.name.clone(),
                sigma_min_f32: a.sigma_min,
                sigma_min_f64: b.sigma_min,
                kappa_f32: a.kappa,
                kappa_f64: b.kappa,
                rank_f32: a.rank,
                rank_f64: b.rank,
                bn_overflow_f32: a.bn_overflow,
                bn_overflow_f64: b.bn_overflow,
                log10_kappa_gap: kappa_gap(a.kappa, b.kappa),
            })
        })
        .collect()
}

fn kappa_gap(a: f64, b: f64) -> f64 {
    match (a.is_infinite(), b.is_infinite()) {
        (true, true) => 0.0,
        (true, false) | (false, true) => f64::INFINITY,
        (false, false) => (a.log10() - b.log10()).abs(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(layer: usize, kappa: f64, bn_overflow: bool) -> LayerConditionRow {
        LayerConditionRow {
            layer,
            name: format!("l{layer}"),
            shape: "4x4".into(),
            sigma_max: 1.0,
            sigma_min: 1.0 / kappa,
            kappa,
            rank: if kappa.is_infinite() { 1 } else { 4 },
            bn_overflow,
            ..LayerConditionRow::default()
        }
    }

    #[test]
    fn pairs_layers_and_measures_the_kappa_gap() {
        let f32_rows = [
            row(1, 100.0, false),
            row(2, f64::INFINITY, true),
            row(3, 5.0, false),
        ];
        let f64_rows = [row(1, 1000.0, false), row(2, 230.0, false)];
        let c = compare_precisions(&f32_rows, &f64_rows);
        assert_eq!(c.len(), 2, "layer 3 has no f64 partner");
        assert!((c[0].log10_kappa_gap - 1.0).abs() < 1e-12);
        assert_eq!(c[1].log10_kappa_gap, f64::INFINITY);
        assert!(c[1].bn_overflow_f32 && !c[1].bn_overflow_f64);
        assert_eq!((c[1].rank_f32, c[1].rank_f64), (1, 4));
    }
}
