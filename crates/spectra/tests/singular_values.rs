mod common;

use common::{log_spaced, rel_err, with_spectrum};
use deepskip_spectra::singular_values;
use ndarray::{array, Array2};

#[test]
fn diagonal_matrix_gives_its_absolute_diagonal_sorted() {
    let a = Array2::from_diag(&array![2.0, -7.0, 0.5, 3.0]);
    assert_eq!(
        singular_values(&a.view()).unwrap(),
        vec![7.0, 3.0, 2.0, 0.5]
    );
}

#[test]
fn prescribed_spectrum_is_recovered_for_tall_square_and_wide() {
    for (rows, cols) in [(30, 12), (16, 16), (12, 30)] {
        let sigma = log_spaced(100.0, 1.0, rows.min(cols));
        let a = with_spectrum(rows, cols, &sigma, 7);
        let got = singular_values(&a.view()).unwrap();
        assert_eq!(got.len(), sigma.len());
        for (g, s) in got.iter().zip(&sigma) {
            assert!(rel_err(*g, *s) < 1e-12, "{rows}x{cols}: {g} vs {s}");
        }
    }
}

#[test]
fn f32_input_is_promoted_and_fortran_order_is_read_logically() {
    let a = array![[3.0_f32, 0.0, 0.0], [0.0, 4.0, 0.0]];
    let fortran = a.t().as_standard_layout().into_owned().reversed_axes();
    assert_eq!(fortran, a);
    assert!(!fortran.is_standard_layout());
    assert_eq!(singular_values(&fortran.view()).unwrap(), vec![4.0, 3.0]);
}

#[test]
fn empty_and_non_finite_matrices_are_errors_not_panics() {
    let empty = Array2::<f64>::zeros((0, 3));
    let err = singular_values(&empty.view()).unwrap_err().to_string();
    assert!(err.contains("empty 0x3"), "{err}");
    let nan = array![[1.0, f64::NAN], [0.0, 1.0]];
    let err = singular_values(&nan.view()).unwrap_err().to_string();
    assert!(err.contains("1 non-finite"), "{err}");
}
