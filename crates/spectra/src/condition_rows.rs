//! Table rows from stored spectra: the one place where a tolerance turns a spectrum into
//! kappa, rank and the measures, so a fresh analysis and a re-threshold of its
//! `spectra.safetensors` give the same table.

use crate::records::{LayerConditionRow, LayerStatus};
use crate::{LayerOutcome, LayerSpectrum, SpectraError, Spectrum, Tolerance};

/// One row per layer, in the order given.
pub fn condition_rows(
    layers: &[LayerSpectrum],
    tolerance: Tolerance,
) -> Result<Vec<LayerConditionRow>, SpectraError> {
    layers.iter().map(|l| condition_row(l, tolerance)).collect()
}

/// The row of one layer under `tolerance`; a layer without a spectrum gets NaN values and
/// its status.
pub fn condition_row(
    layer: &LayerSpectrum,
    tolerance: Tolerance,
) -> Result<LayerConditionRow, SpectraError> {
    let unanalysed = |status| LayerConditionRow {
        layer: layer.layer,
        name: layer.name.clone(),
        sigma_max: f64::NAN,
        sigma_min: f64::NAN,
        kappa: f64::NAN,
        status: Some(status),
        groups: layer.groups,
        tolerance: tolerance.to_string(),
        threshold: f64::NAN,
        stable_rank: f64::NAN,
        effective_rank: f64::NAN,
        centred_kappa: f64::NAN,
        centred_stable_rank: f64::NAN,
        centred_effective_rank: f64::NAN,
        ..LayerConditionRow::default()
    };
    match &layer.outcome {
        LayerOutcome::Analysed(spectrum) => analysed_row(layer, spectrum, tolerance),
        LayerOutcome::NonFinite { .. } => Ok(unanalysed(LayerStatus::NonFinite)),
        LayerOutcome::Failed(_) => Ok(unanalysed(LayerStatus::Failed)),
    }
}

fn analysed_row(
    layer: &LayerSpectrum,
    spectrum: &Spectrum,
    tolerance: Tolerance,
) -> Result<LayerConditionRow, SpectraError> {
    let c = spectrum.condition_number(tolerance)?;
    let centred = spectrum.centred_condition_number(tolerance)?;
    let m = spectrum.measures()?;
    let cm = spectrum.centred_measures()?;
    Ok(LayerConditionRow {
        layer: layer.layer,
        name: layer.name.clone(),
        shape: format!("{}x{}", c.rows, c.cols),
        bn_overflow: false,
        sigma_max: c.sigma_max,
        sigma_min: c.sigma_min,
        kappa: c.kappa,
        rank: c.numerical_rank,
        status: Some(if c.full_rank {
            LayerStatus::FullRank
        } else {
            LayerStatus::RankDeficient
        }),
        groups: layer.groups,
        tolerance: tolerance.to_string(),
        threshold: c.tolerance,
        stable_rank: m.stable_rank,
        effective_rank: m.effective_rank,
        rank_rel_1e3: m.ladder_ranks[0],
        rank_rel_1e6: m.ladder_ranks[1],
        rank_rel_1e9: m.ladder_ranks[2],
        centred_kappa: centred.kappa,
        centred_rank: centred.numerical_rank,
        centred_stable_rank: cm.stable_rank,
        centred_effective_rank: cm.effective_rank,
        centred_rank_rel_1e3: cm.ladder_ranks[0],
        centred_rank_rel_1e6: cm.ladder_ranks[1],
        centred_rank_rel_1e9: cm.ladder_ranks[2],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Precision;

    fn layer(outcome: LayerOutcome) -> LayerSpectrum {
        LayerSpectrum {
            layer: 7,
            name: "stage1.block3.conv1".into(),
            groups: 4,
            outcome,
        }
    }

    #[test]
    fn a_spectrum_becomes_a_row_and_the_tolerance_decides_the_rank() {
        let spectrum = Spectrum {
            rows: 3,
            cols: 8,
            precision: Precision::F32,
            raw: vec![1.0, 1e-2, 1e-4],
            centred: vec![0.5, 1e-2, 0.0],
        };
        let l = layer(LayerOutcome::Analysed(spectrum));
        let row = condition_row(&l, Tolerance::DataPrecision).unwrap();
        assert_eq!((row.shape.as_str(), row.rank, row.kappa), ("3x8", 3, 1e4));
        assert_eq!(row.status, Some(LayerStatus::FullRank));
        assert_eq!((row.groups, row.tolerance.as_str()), (4, "data-precision"));
        assert_eq!((row.centred_rank, row.centred_kappa), (2, f64::INFINITY));
        assert_eq!([row.rank_rel_1e3, row.rank_rel_1e6], [2, 3]);
        let coarse = condition_row(&l, Tolerance::Relative(1e-3)).unwrap();
        assert_eq!((coarse.rank, coarse.kappa), (2, f64::INFINITY));
        assert!(coarse.is_singular() && !row.is_singular());
    }

    #[test]
    fn non_finite_layers_are_singular_with_their_own_status() {
        let row = condition_row(
            &layer(LayerOutcome::NonFinite { count: 3, total: 9 }),
            Tolerance::DataPrecision,
        )
        .unwrap();
        assert_eq!(row.status, Some(LayerStatus::NonFinite));
        assert!(row.kappa.is_nan() && row.is_singular());
        let failed = condition_row(
            &layer(LayerOutcome::Failed("LAPACK".into())),
            Tolerance::DataPrecision,
        )
        .unwrap();
        assert!(!failed.is_singular());
    }
}
