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
    let c = w.condition_number(Tolerance::Default).unwrap();
    assert!(rel_err(c.kappa, 4.0) < 1e-5, "{}", c.kappa);
    assert!(rel_err(c.sigma_max, 4.0) < 1e-5);
}

#[test]
fn linear_weight_is_taken_as_is() {
    let w = [2.0_f32, 0.0, 0.0, 0.0, 0.0, 8.0];
    let c = Weight::new(&w, &[2, 3])
        .unwrap()
        .condition_number(Tolerance::Default)
        .unwrap();
    assert_eq!((c.rows, c.cols, c.kappa), (2, 3, 4.0));
}

#[test]
fn vectors_have_no_condition_number() {
    let err = Weight::new(&[1.0, 2.0], &[2]).unwrap_err().to_string();
    assert!(err.contains("linear (out, in)"), "{err}");
}
