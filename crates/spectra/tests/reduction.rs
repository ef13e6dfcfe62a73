mod common;

use common::{log_spaced, rel_err, with_spectrum};
use deepskip_spectra::reduction::{reduce_to_triangle, worth_reducing};
use deepskip_spectra::singular_values;
use ndarray::Array2;
use ndarray_linalg::{Eigh, UPLO};

#[test]
fn triangle_keeps_the_spectrum_from_1_to_1e12_for_wide_and_tall() {
    for (rows, cols) in [(16, 400), (400, 16)] {
        let sigma = log_spaced(1e12, 1.0, 16);
        let a = with_spectrum(rows, cols, &sigma, 21);
        let r = reduce_to_triangle(a).unwrap();
        assert_eq!(r.dim(), (16, 16));
        let got = singular_values(&r.view()).unwrap();
        for (g, s) in got.iter().zip(&sigma) {
            // Absolute error ~ eps * sigma_max = 2e-4: relative 1e-3 at sigma = 1.
            assert!(rel_err(*g, *s) < 1e-3, "{rows}x{cols}: {g} vs {s}");
        }
    }
}

#[test]
fn triangle_is_upper_for_wide_and_lower_for_tall() {
    let a = with_spectrum(5, 20, &[5.0, 4.0, 3.0, 2.0, 1.0], 3);
    let r = reduce_to_triangle(a.clone()).unwrap();
    let l = reduce_to_triangle(a.t().to_owned()).unwrap();
    for i in 0..5 {
        for j in 0..i {
            assert_eq!(r[[i, j]], 0.0);
            assert_eq!(l[[j, i]], 0.0);
        }
    }
}

#[test]
fn gram_route_would_lose_the_small_singular_values() {
    // Why the reduction is a QR and not eig(A A^T): the squared spectrum spans 1e24, beyond
    // f64, so the smallest eigenvalues are noise while the QR route keeps them.
    let sigma = log_spaced(1e12, 1.0, 8);
    let a = with_spectrum(8, 64, &sigma, 5);
    let gram: Array2<f64> = a.dot(&a.t());
    let (eig, _) = gram.eigh(UPLO::Upper).unwrap();
    let smallest_gram = eig[0].max(0.0).sqrt();
    assert!(
        rel_err(smallest_gram, 1.0) > 0.5,
        "gram route gave {smallest_gram}"
    );
    let qr = singular_values(&reduce_to_triangle(a).unwrap().view()).unwrap();
    assert!(rel_err(qr[7], 1.0) < 1e-3);
}

#[test]
fn only_long_thin_matrices_are_worth_reducing() {
    assert!(worth_reducing(500, 16384) && worth_reducing(16384, 500));
    assert!(!worth_reducing(64, 100));
}
