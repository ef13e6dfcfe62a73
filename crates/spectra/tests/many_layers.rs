mod common;

use common::random;
use deepskip_spectra::{HiddenRepresentation, ManyLayers, SpectraError, Tolerance};

#[test]
fn parallel_results_equal_sequential_ones_in_layer_order() {
    let data: Vec<Vec<f32>> = (0..6)
        .map(|s| random(8, 40, s).iter().map(|&x| x as f32).collect())
        .collect();
    let shape = [8, 40];
    let layers: Vec<_> = data
        .iter()
        .map(|d| HiddenRepresentation::new(d, &shape).unwrap())
        .collect();
    let one = ManyLayers::new().threads(1).condition_numbers(&layers);
    let two = ManyLayers::new().threads(2).condition_numbers(&layers);
    for ((a, b), layer) in one.iter().zip(&two).zip(&layers) {
        let direct = layer.condition_number(Tolerance::DataPrecision).unwrap();
        assert_eq!(a.as_ref().unwrap(), &direct);
        assert_eq!(b.as_ref().unwrap(), &direct);
    }
}

#[test]
fn a_failing_layer_does_not_stop_the_others() {
    let good: Vec<f32> = random(4, 10, 1).iter().map(|&x| x as f32).collect();
    let mut bad = good.clone();
    bad[3] = f32::NAN;
    let shape = [4, 10];
    let layers = [
        HiddenRepresentation::new(&good, &shape).unwrap(),
        HiddenRepresentation::new(&bad, &shape).unwrap(),
        HiddenRepresentation::new(&good, &shape).unwrap(),
    ];
    let out = ManyLayers::new()
        .threads(2)
        .tolerance(Tolerance::Relative(1e-6))
        .condition_numbers(&layers);
    assert!(out[0].is_ok() && out[2].is_ok());
    assert!(matches!(
        out[1],
        Err(SpectraError::NonFinite { count: 1, .. })
    ));
}

#[test]
fn pool_size_is_at_least_one() {
    assert_eq!(ManyLayers::new().threads(0).thread_count(), 1);
}
