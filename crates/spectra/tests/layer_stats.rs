use deepskip_spectra::{LayerStats, HISTOGRAM_BINS};

#[test]
fn one_to_hundred_has_known_moments_and_percentiles() {
    let values: Vec<f32> = (1..=100).map(|x| x as f32).collect();
    let s = LayerStats::of(&values, "ramp").unwrap();
    assert_eq!((s.min, s.max, s.mean), (1.0, 100.0, 50.5));
    assert!((s.std - 28.866_070_047_722_12).abs() < 1e-9);
    let p = &s.percentiles;
    assert_eq!((p.p1, p.p5, p.p25, p.p50), (1.0, 5.0, 25.0, 50.0));
    assert_eq!((p.p75, p.p95, p.p99), (75.0, 95.0, 99.0));
    assert_eq!(s.zero_fraction, 0.0);
    assert_eq!(s.histogram.edges.len(), HISTOGRAM_BINS + 1);
    assert_eq!(s.histogram.counts.iter().sum::<u64>(), 100);
    assert_eq!(
        (s.histogram.edges[0], s.histogram.edges[HISTOGRAM_BINS]),
        (1.0, 100.0)
    );
}

#[test]
fn zeros_and_non_finite_values_are_counted_apart() {
    let values = [0.0_f32, 0.0, 3.0, f32::NAN, f32::INFINITY, -1.0];
    let s = LayerStats::of(&values, "relu").unwrap();
    assert_eq!((s.count, s.non_finite), (6, 2));
    assert_eq!(s.zero_fraction, 2.0 / 6.0);
    assert_eq!((s.min, s.max), (-1.0, 3.0));
    assert_eq!(s.histogram.counts.iter().sum::<u64>(), 4);
    assert_eq!(s.histogram.counts[HISTOGRAM_BINS - 1], 1);
}

#[test]
fn constant_tensor_gets_a_unit_wide_histogram() {
    let s = LayerStats::of(&[2.0; 10], "const").unwrap();
    assert_eq!(
        (
            s.std,
            s.histogram.edges[0],
            s.histogram.edges[HISTOGRAM_BINS]
        ),
        (0.0, 1.5, 2.5)
    );
    assert_eq!(s.histogram.counts.iter().sum::<u64>(), 10);
}

#[test]
fn all_nan_is_an_error_and_stats_round_trip_through_json() {
    let err = LayerStats::of(&[f32::NAN], "layer 3")
        .unwrap_err()
        .to_string();
    assert!(err.contains("layer 3"), "{err}");
    let s = LayerStats::of(&[1.0, -2.0, 5.0], "x").unwrap();
    let back: LayerStats = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(back, s);
}
