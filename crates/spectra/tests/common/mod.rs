//! Matrices with known singular values for the tests.
#![allow(dead_code)]

use ndarray::{s, Array2};
use ndarray_linalg::QR;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A `rows x cols` matrix of uniform entries in [-1, 1).
pub fn random(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_fn((rows, cols), |_| rng.random_range(-1.0..1.0))
}

/// A random `n x n` orthogonal matrix: the Q of a QR of a random matrix.
pub fn orthogonal(n: usize, seed: u64) -> Array2<f64> {
    random(n, n, seed).qr().expect("QR of a random matrix").0
}

/// `U diag(sigma) V^T` with random orthogonal `U`, `V`: its singular values are `sigma`.
pub fn with_spectrum(rows: usize, cols: usize, sigma: &[f64], seed: u64) -> Array2<f64> {
    let k = rows.min(cols);
    assert_eq!(sigma.len(), k);
    let u = orthogonal(rows, seed);
    let v = orthogonal(cols, seed + 1);
    let mut us = u.slice(s![.., ..k]).to_owned();
    for (mut col, &s) in us.columns_mut().into_iter().zip(sigma) {
        col *= s;
    }
    us.dot(&v.slice(s![.., ..k]).t())
}

/// `k` values spread logarithmically from `hi` down to `lo`.
pub fn log_spaced(hi: f64, lo: f64, k: usize) -> Vec<f64> {
    (0..k)
        .map(|i| {
            let t = if k == 1 {
                0.0
            } else {
                i as f64 / (k - 1) as f64
            };
            (hi.ln() + t * (lo.ln() - hi.ln())).exp()
        })
        .collect()
}

pub fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// A `rows x cols` matrix (rows <= cols / 2) with singular values exactly `sigma`, cheap at
/// realistic sizes (500 x 16,384): `U diag(sigma) V^T` with a random orthogonal `U` and rows
/// of `V^T` of disjoint support (random signs, norm 1), so only `U` needs a factorisation.
pub fn wide_with_spectrum(rows: usize, cols: usize, sigma: &[f64], seed: u64) -> Array2<f64> {
    assert_eq!(sigma.len(), rows);
    let support = cols / rows;
    assert!(support >= 1);
    let u = orthogonal(rows, seed);
    let mut rng = ChaCha8Rng::seed_from_u64(seed + 1);
    let scale = 1.0 / (support as f64).sqrt();
    let signs: Vec<f64> = (0..rows * support)
        .map(|_| if rng.random_bool(0.5) { scale } else { -scale })
        .collect();
    Array2::from_shape_fn((rows, cols), |(r, c)| {
        let i = c / support;
        if i < rows {
            u[[r, i]] * sigma[i] * signs[c]
        } else {
            0.0
        }
    })
}
