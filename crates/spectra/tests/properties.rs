use deepskip_spectra::{ConditionNumber, Tolerance};
use ndarray::Array2;
use proptest::prelude::*;

fn matrix() -> impl Strategy<Value = Array2<f64>> {
    (1_usize..7, 1_usize..7).prop_flat_map(|(r, c)| {
        prop::collection::vec(-1.0_f64..1.0, r * c)
            .prop_map(move |v| Array2::from_shape_vec((r, c), v).unwrap())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn kappa_is_at_least_one(a in matrix()) {
        let c = ConditionNumber::of(&a.view(), Tolerance::DataPrecision).unwrap();
        prop_assert!(c.kappa >= 1.0, "kappa {}", c.kappa);
        prop_assert!(c.sigma_max >= c.sigma_min);
    }

    #[test]
    fn kappa_and_rank_are_scale_invariant(a in matrix(), scale in 1e-3_f64..1e3) {
        let c = ConditionNumber::of(&a.view(), Tolerance::DataPrecision).unwrap();
        let scaled = ConditionNumber::of(&(&a * scale).view(), Tolerance::DataPrecision).unwrap();
        prop_assert_eq!(c.numerical_rank, scaled.numerical_rank);
        if c.kappa.is_finite() {
            prop_assert!((c.kappa - scaled.kappa).abs() <= 1e-9 * c.kappa);
        } else {
            prop_assert!(scaled.kappa.is_infinite());
        }
    }
}
