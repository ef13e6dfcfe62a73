mod common;

use common::{log_spaced, random, rel_err, wide_with_spectrum};
use deepskip_spectra::{
    effective_rank, singular_values, stable_rank, HiddenRepresentation, Precision, Spectrum,
    Tolerance,
};
use ndarray::{Array1, Array2, Axis};

fn centred(a: &Array2<f64>) -> Array2<f64> {
    a - &a.mean_axis(Axis(0)).unwrap()
}

#[test]
fn raw_and_centred_spectra_match_direct_svds_for_wide_square_and_tall() {
    for (rows, cols) in [(12, 200), (30, 40), (90, 20)] {
        let a = random(rows, cols, 3) + 0.7;
        let s = Spectrum::of_owned(a.clone(), Precision::F64).unwrap();
        let raw = singular_values(&a.view()).unwrap();
        let cen = singular_values(&centred(&a).view()).unwrap();
        assert_eq!((s.raw.len(), s.centred.len()), (raw.len(), cen.len()));
        for (got, want) in s.raw.iter().zip(&raw).chain(s.centred.iter().zip(&cen)) {
            assert!((got - want).abs() < 1e-10 * raw[0], "{rows}x{cols}");
        }
    }
}

#[test]
fn a_common_mode_is_removed_by_centring() {
    // Every sample is the same vector plus a tiny spread: one big raw singular value, and the
    // centred spectrum no longer has it.
    let mut a = random(10, 100, 5) * 1e-3;
    let common = Array1::from_shape_fn(100, |i| (i as f64).sin());
    a += &common;
    let s = Spectrum::of_owned(a, Precision::F64).unwrap();
    assert!(s.raw[0] > 100.0 * s.raw[1]);
    assert!(s.centred[0] < 2.0 * s.centred[1]);
    // Centring removes one direction: the smallest centred singular value is a rounding zero
    // at the scale of the raw matrix, which the threshold takes its scale from.
    assert!(s.centred[9] < 1e-12 * s.raw[0]);
    let c = s
        .centred_condition_number(Tolerance::DataPrecision)
        .unwrap();
    assert_eq!((c.numerical_rank, c.kappa), (9, f64::INFINITY));
}

#[test]
fn stable_and_effective_rank_of_known_spectra() {
    assert_eq!(stable_rank(&[2.0, 2.0, 2.0]), 3.0);
    assert!(rel_err(stable_rank(&[2.0, 1.0]), 1.25) < 1e-15);
    assert!(rel_err(effective_rank(&[5.0, 5.0, 5.0, 5.0]), 4.0) < 1e-12);
    // p = (3/4, 1/4): exp(-(0.75 ln 0.75 + 0.25 ln 0.25)) = 1.7548...
    assert!(rel_err(effective_rank(&[3.0, 1.0, 0.0]), 1.754_765_350_5) < 1e-9);
    assert_eq!(
        (stable_rank(&[0.0, 0.0]), effective_rank(&[0.0])),
        (0.0, 0.0)
    );
}

#[test]
fn the_rank_ladder_counts_values_above_each_relative_tolerance() {
    let sigma = [1.0, 1e-2, 1e-5, 1e-8, 1e-11];
    let a = Array2::from_diag(&Array1::from(sigma.to_vec()));
    let m = Spectrum::of_owned(a, Precision::F64)
        .unwrap()
        .measures()
        .unwrap();
    assert_eq!(m.ladder_ranks, [2, 3, 4]);
    // In f64 the data-precision threshold is about 1e-16: all five survive.
    assert_eq!(m.data_precision_rank, 5);
    assert!(rel_err(m.stable_rank, 1.0001) < 1e-6);
}

#[test]
fn a_hidden_representation_keeps_its_whole_spectrum_in_f64() {
    let sigma = log_spaced(1.0, 1e-3, 16);
    let a = wide_with_spectrum(16, 512, &sigma, 8).mapv(|x| x as f32);
    let rep = HiddenRepresentation::new(a.as_slice().unwrap(), &[16, 8, 8, 8]).unwrap();
    let s = rep.spectrum().unwrap();
    assert_eq!((s.rows, s.cols, s.precision), (16, 512, Precision::F32));
    for (got, want) in s.raw.iter().zip(&sigma) {
        assert!(rel_err(*got, *want) < 1e-4, "{got} vs {want}");
    }
    let from_spectrum = s.condition_number(Tolerance::DataPrecision).unwrap();
    let direct = rep.condition_number(Tolerance::DataPrecision).unwrap();
    assert!(rel_err(from_spectrum.kappa, direct.kappa) < 1e-12);
    assert_eq!(from_spectrum.numerical_rank, direct.numerical_rank);
}
