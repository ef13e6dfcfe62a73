//! The default tolerance at the paper's sizes (N 128-500 samples, D 4k-65k features), on f32
//! matrices whose exact singular values are known.

mod common;

use common::{log_spaced, rel_err, wide_with_spectrum};
use deepskip_spectra::{ConditionNumber, Precision, Spectrum, Tolerance};
use ndarray::Array2;

const SHAPES: [(usize, usize); 3] = [(500, 16_384), (256, 4_096), (128, 65_536)];

fn stored_in_f32(a: &Array2<f64>) -> Array2<f32> {
    a.mapv(|x| x as f32)
}

#[test]
fn kappa_1e4_in_f32_is_far_above_rounding_and_not_singular() {
    for (n, d) in SHAPES {
        let sigma = log_spaced(1.0, 1e-4, n);
        let a = stored_in_f32(&wide_with_spectrum(n, d, &sigma, 40));
        // One factorisation, both rules applied to its spectrum.
        let spectrum = Spectrum::of(&a.view()).unwrap();
        let c = spectrum.condition_number(Tolerance::DataPrecision).unwrap();
        assert!(c.full_rank, "{n}x{d}: rank {} of {n}", c.numerical_rank);
        assert!(rel_err(c.kappa, 1e4) < 1e-2, "{n}x{d}: kappa {}", c.kappa);
        // sigma_min = 1e-4 is hundreds of times the bound 2^-24 ||A||_F.
        assert!(c.tolerance < 1e-6, "{n}x{d}: tolerance {}", c.tolerance);
        // numpy's f32 rule, max(N, D) * eps_f32 * sigma_max >= 4.9e-4 here, calls it singular.
        let numpy = spectrum.condition_number(Tolerance::NumpyF32).unwrap();
        assert!(numpy.is_singular(), "{n}x{d}: numpy rule kept rank {n}");
    }
}

#[test]
fn exactly_rank_deficient_in_f32_is_singular_with_its_rank() {
    for (n, d) in SHAPES {
        let rank = n - n / 5;
        let mut sigma = log_spaced(1.0, 1e-3, rank);
        sigma.resize(n, 0.0);
        let a = stored_in_f32(&wide_with_spectrum(n, d, &sigma, 41));
        let c = ConditionNumber::of(&a.view(), Tolerance::DataPrecision).unwrap();
        assert_eq!(
            (c.numerical_rank, c.kappa),
            (rank, f64::INFINITY),
            "{n}x{d}"
        );
    }
}

#[test]
fn the_default_threshold_is_the_f32_rounding_bound_plus_the_f64_svd_error() {
    let sigma = [3.0, 4.0];
    let got = Tolerance::DataPrecision
        .threshold(2, 10, Precision::F32, &sigma)
        .unwrap();
    let expected = 5.0 * 2f64.powi(-24) + 10.0 * f64::EPSILON * 4.0;
    assert!(rel_err(got, expected) < 1e-12, "{got} vs {expected}");
    let numpy = Tolerance::NumpyF32
        .threshold(2, 10, Precision::F32, &sigma)
        .unwrap();
    assert!(rel_err(numpy, 10.0 * 2f64.powi(-23) * 4.0) < 1e-12);
}

#[test]
fn names_parse_to_rules_and_display_round_trips() {
    let cases = [
        ("data-precision", Tolerance::DataPrecision),
        ("DEFAULT", Tolerance::DataPrecision),
        ("numpy-f32", Tolerance::NumpyF32),
        ("relative:1e-6", Tolerance::Relative(1e-6)),
        ("absolute:0.5", Tolerance::Absolute(0.5)),
    ];
    for (text, rule) in cases {
        let parsed: Tolerance = text.parse().unwrap();
        assert_eq!(parsed, rule, "{text}");
        assert_eq!(rule.to_string().parse::<Tolerance>().unwrap(), rule);
    }
    for bad in ["numpy", "relative:", "relative:-1", "absolute:nan", "1e-6"] {
        let err = bad.parse::<Tolerance>().unwrap_err().to_string();
        assert!(
            err.contains("relative:R") || err.contains(">= 0"),
            "{bad}: {err}"
        );
    }
}
