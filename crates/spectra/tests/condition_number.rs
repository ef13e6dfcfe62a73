mod common;

use common::{log_spaced, random, rel_err, with_spectrum};
use deepskip_spectra::reduction::worth_reducing;
use deepskip_spectra::{singular_values, ConditionNumber, Tolerance};
use ndarray::{array, s, Array2};

fn kappa_of(a: &Array2<f64>) -> ConditionNumber {
    ConditionNumber::of(&a.view(), Tolerance::DataPrecision).unwrap()
}

#[test]
fn diagonal_matrix_has_ratio_of_extreme_entries() {
    let a = Array2::from_diag(&array![8.0, -2.0, 0.5]);
    let c = kappa_of(&a);
    assert_eq!((c.sigma_max, c.sigma_min, c.kappa), (8.0, 0.5, 16.0));
    assert_eq!(
        (c.numerical_rank, c.full_rank, c.rows, c.cols),
        (3, true, 3, 3)
    );
}

#[test]
fn spectrum_from_1_to_1e12_is_resolved_in_f64_for_every_shape() {
    for (rows, cols) in [(24, 24), (60, 20), (20, 60), (20, 200)] {
        let sigma = log_spaced(1e12, 1.0, rows.min(cols));
        let c = kappa_of(&with_spectrum(rows, cols, &sigma, 11));
        assert!(c.full_rank, "{rows}x{cols}: rank {}", c.numerical_rank);
        assert!(rel_err(c.sigma_max, 1e12) < 1e-12, "{rows}x{cols}");
        assert!(rel_err(c.kappa, 1e12) < 1e-2, "{rows}x{cols}: {}", c.kappa);
    }
}

#[test]
fn agrees_with_plain_full_svd_to_1e_10_on_well_conditioned_input() {
    // Every shape is long enough to be reduced, so the two sides take different routes.
    for (rows, cols, seed) in [(50, 120, 1), (80, 25, 2), (25, 80, 3), (10, 300, 4)] {
        assert!(
            worth_reducing(rows, cols),
            "{rows}x{cols} would not be reduced"
        );
        let a = random(rows, cols, seed);
        let plain = singular_values(&a.view()).unwrap();
        let c = kappa_of(&a);
        let plain_kappa = plain[0] / plain[plain.len() - 1];
        assert!(plain_kappa < 1e4, "test input should be well conditioned");
        assert!(rel_err(c.kappa, plain_kappa) < 1e-10, "{rows}x{cols}");
        assert!(rel_err(c.sigma_max, plain[0]) < 1e-10);
    }
}

#[test]
fn repeated_row_is_rank_deficient_with_rank_one_less() {
    let mut a = random(20, 30, 5);
    let row = a.row(3).to_owned();
    a.row_mut(11).assign(&row);
    let c = kappa_of(&a);
    assert_eq!((c.numerical_rank, c.full_rank), (19, false));
    assert_eq!(c.kappa, f64::INFINITY);
}

#[test]
fn zero_column_in_tall_matrix_is_rank_deficient() {
    let mut a = random(30, 20, 6);
    a.column_mut(7).fill(0.0);
    let c = kappa_of(&a);
    assert_eq!((c.numerical_rank, c.kappa), (19, f64::INFINITY));
}

#[test]
fn low_rank_product_reports_its_rank() {
    let a = random(40, 5, 8).dot(&random(5, 100, 9));
    let c = kappa_of(&a);
    assert_eq!((c.numerical_rank, c.kappa), (5, f64::INFINITY));
}

#[test]
fn zero_matrix_is_exactly_infinite_with_rank_zero() {
    let c = kappa_of(&Array2::zeros((10, 15)));
    assert_eq!(
        (c.sigma_max, c.numerical_rank, c.kappa),
        (0.0, 0, f64::INFINITY)
    );
    assert!(c.is_singular());
}

#[test]
fn f32_input_is_thresholded_at_its_rounding_not_at_an_f32_svd_error() {
    // kappa 1e6 in f32: rounding moves each singular value by at most 2^-24 ||A||_F (about
    // 2e-7 here), far below sigma_min = 1, so the matrix is not singular. numpy's rule
    // (60 * 1.2e-7 * 1e6 = 7 > 1) calls it singular.
    let sigma = log_spaced(1e6, 1.0, 20);
    let a = with_spectrum(20, 60, &sigma, 13).mapv(|x| x as f32);
    let c = ConditionNumber::of(&a.view(), Tolerance::DataPrecision).unwrap();
    assert!(c.full_rank && rel_err(c.kappa, 1e6) < 1e-2, "{}", c.kappa);
    let numpy = ConditionNumber::of(&a.view(), Tolerance::NumpyF32).unwrap();
    assert!(numpy.is_singular() && numpy.numerical_rank < 20);
    // The threshold follows the input's precision: the same matrix in f64 gets one over a
    // million times smaller (there the f64 SVD error term, 60 * 2^-52 * 1e6, dominates).
    let c64 = kappa_of(&with_spectrum(20, 60, &sigma, 13));
    assert!(
        c64.tolerance < c.tolerance / 1e6,
        "{} vs {}",
        c64.tolerance,
        c.tolerance
    );
}

#[test]
fn tolerance_override_changes_the_rank() {
    let a = Array2::from_diag(&array![1.0, 1e-3, 1e-9]);
    let rank = |t| ConditionNumber::of(&a.view(), t).unwrap().numerical_rank;
    assert_eq!(rank(Tolerance::DataPrecision), 3);
    assert_eq!(rank(Tolerance::Relative(1e-6)), 2);
    assert_eq!(rank(Tolerance::Absolute(1e-2)), 1);
    let err = ConditionNumber::of(&a.view(), Tolerance::Relative(-1.0)).unwrap_err();
    assert!(err.to_string().contains("invalid tolerance -1"));
}

#[test]
fn infinite_kappa_serialises_as_the_string_inf_and_back() {
    let c = kappa_of(&Array2::zeros((2, 3)));
    let json = serde_json::to_string(&c).unwrap();
    assert!(json.contains("\"kappa\":\"inf\""), "{json}");
    let back: ConditionNumber = serde_json::from_str(&json).unwrap();
    assert_eq!(back, c);
    let finite = kappa_of(&Array2::from_diag(&array![4.0, 2.0]));
    let back: ConditionNumber =
        serde_json::from_str(&serde_json::to_string(&finite).unwrap()).unwrap();
    assert_eq!(back.kappa, 2.0);
}

#[test]
fn sliced_views_are_analysed_as_seen() {
    let a = Array2::from_diag(&array![5.0, 4.0, 3.0, 2.0]);
    let c = ConditionNumber::of(&a.slice(s![..2, ..2]), Tolerance::DataPrecision).unwrap();
    assert_eq!(c.kappa, 1.25);
}
