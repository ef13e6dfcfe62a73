//! Tests on the real data sets; they need DEEPSKIP_DATA_MIRROR (e.g. ../shared/datasets).

use deepskip_data::verify::{check_files, verify, FileStatus};
use deepskip_data::{load, DataError, DataSource, DatasetName};
use std::path::PathBuf;

fn mirror() -> Option<PathBuf> {
    let dir = std::env::var_os("DEEPSKIP_DATA_MIRROR").map(PathBuf::from);
    if dir.is_none() {
        eprintln!("skipped: DEEPSKIP_DATA_MIRROR is not set");
    }
    dir
}

fn copy_source(mirror: PathBuf, root: &std::path::Path) -> DataSource {
    DataSource {
        mirror: Some(mirror),
        ..DataSource::local(root)
    }
}

#[test]
fn mnist_is_copied_from_the_mirror_verified_and_loaded() {
    let Some(mirror) = mirror() else { return };
    let root = tempfile::tempdir().unwrap();
    let data = load(&DatasetName::Mnist, &copy_source(mirror, root.path())).unwrap();
    verify(&DatasetName::Mnist, root.path()).unwrap();
    assert_eq!((data.train.len(), data.test.len()), (60_000, 10_000));
    assert_eq!(data.train.class_counts().iter().sum::<usize>(), 60_000);
    assert!(data.train.class_counts().iter().all(|&c| c > 5_000));
    assert_eq!(
        (
            data.train.shape.height,
            data.train.shape.width,
            data.train.shape.channels
        ),
        (28, 28, 1)
    );
    assert!(
        (data.normalization.mean[0] - 0.1307).abs() < 1e-3,
        "{:?}",
        data.normalization
    );
    assert!(
        (data.normalization.std[0] - 0.3081).abs() < 1e-3,
        "{:?}",
        data.normalization
    );
}

#[test]
fn cifar10_loads_from_a_verified_root_with_its_known_facts() {
    let Some(mirror) = mirror() else { return };
    // The mirror itself as data root: verified files are used where they are.
    let data = load(&DatasetName::Cifar10, &DataSource::local(mirror)).unwrap();
    assert_eq!((data.train.len(), data.test.len()), (50_000, 10_000));
    assert_eq!(data.train.labels[0], 6, "training image 0 is a frog");
    assert_eq!(data.train.class_counts(), vec![5_000; 10]);
    assert_eq!(data.test.class_counts(), vec![1_000; 10]);
    let expected_mean = [0.4914, 0.4822, 0.4465];
    for (m, e) in data.normalization.mean.iter().zip(expected_mean) {
        assert!((m - e).abs() < 1e-3, "{:?}", data.normalization);
    }
}

#[test]
fn a_corrupt_file_is_named_then_set_aside_and_replaced_from_the_mirror() {
    let Some(mirror) = mirror() else { return };
    let root = tempfile::tempdir().unwrap();
    let labels = root.path().join("mnist/t10k-labels-idx1-ubyte");
    std::fs::create_dir_all(labels.parent().unwrap()).unwrap();
    let original =
        deepskip_data::idx::read_idx(&mirror.join("mnist/t10k-labels-idx1-ubyte.gz")).unwrap();
    let mut bytes = vec![0, 0, 8, 1, 0, 0, 0x27, 0x10];
    bytes.extend_from_slice(&original.data);
    bytes[100] ^= 1;
    std::fs::write(&labels, &bytes).unwrap();

    let checks = check_files(&DatasetName::Mnist, root.path());
    let bad = checks.iter().find(|c| c.path == labels).unwrap();
    assert!(
        matches!(bad.status, FileStatus::Mismatch { .. }),
        "{:?}",
        bad.status
    );
    let err = verify(&DatasetName::Mnist, root.path()).unwrap_err();
    assert!(
        matches!(err, DataError::Checksum { .. } | DataError::Missing { .. }),
        "{err}"
    );

    load(&DatasetName::Mnist, &copy_source(mirror, root.path())).unwrap();
    verify(&DatasetName::Mnist, root.path()).unwrap();
    assert_eq!(
        std::fs::read(root.path().join("mnist/t10k-labels-idx1-ubyte.bad")).unwrap(),
        bytes,
        "the bad file is kept"
    );
}
