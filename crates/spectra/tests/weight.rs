mod common;

use common::{orthogonal, rel_err};
use deepskip_spectra::{Tolerance, Weight};

#[test]
fn conv_kernel_unfolds_to_out_by_in_kh_kw_with_known_kappa() {
    // Rows of an orthogonal matrix scaled by 1..4: singular values 4, 3, 2, 1.
    let q = orthogonal(18, 31);
    let mut kernel = Vec::with_capacity(4 * 18);
    for (i, row) in q.rows().into_iter().take(4).enumerate() {
        kernel.extend(row.iter().map(|&x| (x * (i + 1) as f64) as f32));
    }
    let w = Weight::new(&kernel, &[4, 2, 3, 3]).unwrap();
    assert_eq!(w.matrix_shape(), (4, 18));
    let c = w.condition_number(Tolerance::DataPrecision).unwrap();
    assert!(rel_err(c.kappa, 4.0) < 1e-5, "{}", c.kappa);
    assert!(rel_err(c.sigma_max, 4.0) < 1e-5);
}

#[test]
fn linear_weight_is_taken_as_is() {
    let w = [2.0_f32, 0.0, 0.0, 0.0, 0.0, 8.0];
    let c = Weight::new(&w, &[2, 3])
        .unwrap()
        .condition_number(Tolerance::DataPrecision)
        .unwrap();
    assert_eq!((c.rows, c.cols, c.kappa), (2, 3, 4.0));
}

#[test]
fn vectors_have_no_condition_number() {
    let err = Weight::new(&[1.0, 2.0], &[2]).unwrap_err().to_string();
    assert!(err.contains("linear (out, in)"), "{err}");
}

/// Two groups, each a 2x3 block on its own 3 input channels (1x1 kernel): block 1 has singular
/// values 3 and 1, block 2 has 2 and 0.5 (a rotation of diag(2, 0.5) keeps them).
fn two_group_kernel() -> Vec<f32> {
    let (c, s) = (0.6_f32, 0.8_f32);
    vec![
        3.0,
        0.0,
        0.0, //
        0.0,
        1.0,
        0.0, //
        2.0 * c,
        0.0,
        -2.0 * s, //
        0.5 * s,
        0.0,
        0.5 * c,
    ]
}

#[test]
fn grouped_kernel_has_the_spectrum_of_its_block_diagonal_operator() {
    let kernel = two_group_kernel();
    let w = Weight::grouped(&kernel, &[4, 3, 1, 1], 2).unwrap();
    assert_eq!(w.matrix_shape(), (4, 6));
    let s = w.spectrum().unwrap();
    let expected = [3.0, 2.0, 1.0, 0.5];
    assert_eq!((s.rows, s.cols, s.raw.len()), (4, 6, 4));
    for (got, want) in s.raw.iter().zip(expected) {
        assert!(rel_err(*got, want) < 1e-6, "{:?}", s.raw);
    }
    let c = w.condition_number(Tolerance::DataPrecision).unwrap();
    assert!(rel_err(c.kappa, 6.0) < 1e-6, "{}", c.kappa);
    assert_eq!((c.rows, c.cols, c.numerical_rank), (4, 6, 4));
}

#[test]
fn the_stacked_unfolding_of_a_grouped_kernel_gives_another_kappa() {
    let kernel = two_group_kernel();
    let dense = Weight::new(&kernel, &[4, 3, 1, 1]).unwrap();
    let stacked = dense.condition_number(Tolerance::DataPrecision).unwrap();
    let operator = Weight::grouped(&kernel, &[4, 3, 1, 1], 2)
        .unwrap()
        .condition_number(Tolerance::DataPrecision)
        .unwrap();
    assert_eq!((stacked.rows, stacked.cols), (4, 3));
    assert!(
        (stacked.kappa - operator.kappa).abs() > 0.5,
        "stacked {} vs block-diagonal {}",
        stacked.kappa,
        operator.kappa
    );
}

#[test]
fn groups_must_divide_the_output_channels() {
    let kernel = two_group_kernel();
    for groups in [0, 3] {
        let err = Weight::grouped(&kernel, &[4, 3, 1, 1], groups)
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("{groups} groups")), "{err}");
    }
}
