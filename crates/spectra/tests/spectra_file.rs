mod common;

use common::random;
use deepskip_spectra::{
    LayerOutcome, LayerSpectrum, Precision, RunSpectra, Spectrum, Tolerance, Weight,
};
use std::path::Path;

fn sample() -> RunSpectra {
    let hidden = Spectrum::of_owned(random(6, 40, 1), Precision::F32).unwrap();
    let kernel: Vec<f32> = random(8, 18, 2).iter().map(|&x| x as f32).collect();
    let grouped = Weight::grouped(&kernel, &[8, 2, 3, 3], 2)
        .unwrap()
        .spectrum()
        .unwrap();
    let layer = |layer, name: &str, groups, outcome| LayerSpectrum {
        layer,
        name: name.to_owned(),
        groups,
        outcome,
    };
    RunSpectra {
        hidden: vec![
            layer(1, "stem", 1, LayerOutcome::Analysed(hidden)),
            layer(
                2,
                "stage1.block1.conv1",
                1,
                LayerOutcome::NonFinite {
                    count: 3,
                    total: 240,
                },
            ),
            layer(
                3,
                "stage1.block1.conv2",
                1,
                LayerOutcome::Failed("LAPACK gesdd".into()),
            ),
        ],
        weights: vec![layer(
            2,
            "stage1.block1.conv2",
            2,
            LayerOutcome::Analysed(grouped),
        )],
    }
}

#[test]
fn spectra_round_trip_bit_for_bit_and_re_threshold_without_the_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spectra.safetensors");
    let spectra = sample();
    std::fs::write(&path, spectra.to_bytes().unwrap()).unwrap();
    let back = RunSpectra::read(&path).unwrap();
    assert_eq!(back, spectra);
    let LayerOutcome::Analysed(s) = &back.weights[0].outcome else {
        panic!("the weight was analysed");
    };
    assert_eq!(
        (s.rows, s.cols, s.raw.len(), back.weights[0].groups),
        (8, 36, 8, 2)
    );
    let fresh = Spectrum::of_owned(random(6, 40, 1), Precision::F32).unwrap();
    for tolerance in [Tolerance::DataPrecision, Tolerance::Relative(0.5)] {
        let LayerOutcome::Analysed(stored) = &back.hidden[0].outcome else {
            panic!("the first layer was analysed");
        };
        assert_eq!(
            stored.condition_number(tolerance).unwrap(),
            fresh.condition_number(tolerance).unwrap()
        );
    }
}

#[test]
fn a_foreign_or_truncated_file_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = sample().to_bytes().unwrap();
    let truncated = dir.path().join("cut.safetensors");
    std::fs::write(&truncated, &bytes[..bytes.len() - 8]).unwrap();
    let err = RunSpectra::read(&truncated).unwrap_err().to_string();
    assert!(
        err.contains("cut.safetensors") && err.contains("rerun the analysis"),
        "{err}"
    );
    let err = RunSpectra::from_bytes(b"\x02\0\0\0\0\0\0\0{}", Path::new("x")).unwrap_err();
    assert!(err.to_string().contains("format"), "{err}");
}
