mod common;

use common::{random, rel_err};
use deepskip_spectra::{ConditionNumber, HiddenRepresentation, Tolerance};
use ndarray::{Array2, Array4};

fn tensor(seed: u64) -> Array4<f32> {
    random(6, 3 * 2 * 2, seed)
        .mapv(|x| x as f32)
        .into_shape_with_order((6, 3, 2, 2))
        .unwrap()
}

#[test]
fn samples_are_stacked_as_rows_of_n_by_chw() {
    let t = tensor(1);
    let rep = HiddenRepresentation::new(t.as_slice().unwrap(), t.shape()).unwrap();
    assert_eq!(rep.matrix_shape(), (6, 12));
    let c = rep.condition_number(Tolerance::DataPrecision).unwrap();
    let m = t.clone().into_shape_with_order((6, 12)).unwrap();
    let direct = ConditionNumber::of(&m.view(), Tolerance::DataPrecision).unwrap();
    assert_eq!((c.rows, c.cols), (6, 12));
    assert!(rel_err(c.kappa, direct.kappa) < 1e-12);
}

#[test]
fn mode_unfoldings_match_hand_built_matrices() {
    let t = tensor(2);
    let rep = HiddenRepresentation::new(t.as_slice().unwrap(), t.shape()).unwrap();
    let modes = rep
        .mode_condition_numbers(Tolerance::DataPrecision)
        .unwrap();
    assert_eq!(modes.len(), 4);
    let dims: Vec<_> = modes.iter().map(|c| (c.rows, c.cols)).collect();
    assert_eq!(dims, vec![(6, 12), (3, 24), (2, 36), (2, 36)]);
    // Mode 2: one row per channel, columns over (n, h, w).
    let mut channel_rows = Array2::<f32>::zeros((3, 24));
    for ((n, c, h, w), &x) in t.indexed_iter() {
        channel_rows[[c, n * 4 + h * 2 + w]] = x;
    }
    let expected = ConditionNumber::of(&channel_rows.view(), Tolerance::DataPrecision).unwrap();
    assert!(rel_err(modes[1].kappa, expected.kappa) < 1e-12);
}

#[test]
fn dead_channel_makes_the_channel_mode_singular_and_duplicate_samples_the_sample_mode() {
    let mut t = tensor(3);
    t.slice_mut(ndarray::s![.., 1, .., ..]).fill(0.0);
    let rep = HiddenRepresentation::new(t.as_slice().unwrap(), t.shape()).unwrap();
    let modes = rep
        .mode_condition_numbers(Tolerance::DataPrecision)
        .unwrap();
    assert_eq!(
        (modes[1].numerical_rank, modes[1].kappa),
        (2, f64::INFINITY)
    );

    let mut dup = tensor(4);
    let first = dup.slice(ndarray::s![0, .., .., ..]).to_owned();
    dup.slice_mut(ndarray::s![5, .., .., ..]).assign(&first);
    let rep = HiddenRepresentation::new(dup.as_slice().unwrap(), dup.shape()).unwrap();
    let c = rep.condition_number(Tolerance::DataPrecision).unwrap();
    assert_eq!((c.numerical_rank, c.kappa), (5, f64::INFINITY));
}

#[test]
fn wrong_length_and_rank_one_shapes_are_explained() {
    let data = vec![0.0_f32; 10];
    let err = HiddenRepresentation::new(&data, &[3, 4])
        .unwrap_err()
        .to_string();
    assert!(err.contains("needs 12 values but 10"), "{err}");
    let err = HiddenRepresentation::new(&data, &[10])
        .unwrap_err()
        .to_string();
    assert!(err.contains("at least 2"), "{err}");
}
