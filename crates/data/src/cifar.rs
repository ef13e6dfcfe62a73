//! The CIFAR binary format: fixed-size records of label byte(s) followed by 3,072 pixel bytes
//! (1,024 red, 1,024 green, 1,024 blue, rows top to bottom), i.e. already CHW.

use crate::image_set::{ImageSet, ImageShape};
use crate::DataError;
use std::path::Path;

/// Which labels a CIFAR file holds and which one to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CifarLabels {
    /// CIFAR-10: one label byte, 10 classes.
    Cifar10,
    /// CIFAR-100 fine labels (second of two label bytes), 100 classes.
    Cifar100Fine,
    /// CIFAR-100 coarse labels (first of two label bytes), 20 classes.
    Cifar100Coarse,
}

impl CifarLabels {
    fn label_bytes(self) -> usize {
        match self {
            CifarLabels::Cifar10 => 1,
            _ => 2,
        }
    }

    fn label_offset(self) -> usize {
        match self {
            CifarLabels::Cifar100Fine => 1,
            _ => 0,
        }
    }

    /// Number of classes of the kept label.
    pub fn num_classes(self) -> usize {
        match self {
            CifarLabels::Cifar10 => 10,
            CifarLabels::Cifar100Fine => 100,
            CifarLabels::Cifar100Coarse => 20,
        }
    }
}

/// The shape of every CIFAR image.
pub const CIFAR_SHAPE: ImageShape = ImageShape {
    channels: 3,
    height: 32,
    width: 32,
};

/// Parses one CIFAR binary file. `expected_records`, when given, is the record count the file
/// must hold (10,000 for a CIFAR-10 batch); `path` names the source in errors.
pub fn parse_cifar(
    bytes: &[u8],
    path: &Path,
    labels: CifarLabels,
    expected_records: Option<usize>,
) -> Result<ImageSet, DataError> {
    let pixels = CIFAR_SHAPE.size();
    let record = labels.label_bytes() + pixels;
    if bytes.is_empty() || bytes.len() % record != 0 {
        return Err(DataError::format(
            path,
            format!(
                "truncated or padded: {} bytes is not a whole number of {record}-byte records",
                bytes.len()
            ),
        ));
    }
    let count = bytes.len() / record;
    if let Some(expected) = expected_records.filter(|&e| e != count) {
        return Err(DataError::format(
            path,
            format!("{count} records, expected {expected}"),
        ));
    }
    let mut images = Vec::with_capacity(count * pixels);
    let mut label_values = Vec::with_capacity(count);
    let classes = labels.num_classes();
    for (i, rec) in bytes.chunks_exact(record).enumerate() {
        let label = rec[labels.label_offset()];
        if usize::from(label) >= classes {
            return Err(DataError::format(
                path,
                format!("record {i} has label {label} in a {classes}-class set"),
            ));
        }
        label_values.push(u16::from(label));
        images.extend_from_slice(&rec[labels.label_bytes()..]);
    }
    ImageSet::new(images, label_values, CIFAR_SHAPE, classes)
}

/// Reads and parses one CIFAR binary file.
pub fn read_cifar(
    path: &Path,
    labels: CifarLabels,
    expected_records: Option<usize>,
) -> Result<ImageSet, DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    parse_cifar(&bytes, path, labels, expected_records)
}

/// Concatenates sets of the same shape and class count (the five CIFAR-10 training batches).
pub fn concat(parts: Vec<ImageSet>) -> Result<ImageSet, DataError> {
    let mut iter = parts.into_iter();
    let Some(mut all) = iter.next() else {
        return Err(DataError::InvalidArgument(
            "no image sets to concatenate".into(),
        ));
    };
    for part in iter {
        if part.shape != all.shape || part.num_classes != all.num_classes {
            return Err(DataError::InvalidArgument(format!(
                "cannot join {:?}/{} classes with {:?}/{} classes",
                all.shape, all.num_classes, part.shape, part.num_classes
            )));
        }
        all.images.extend_from_slice(&part.images);
        all.labels.extend_from_slice(&part.labels);
    }
    Ok(all)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A CIFAR file whose record `i` has labels `labels[i]` and every pixel `i`.
    pub(crate) fn cifar_bytes(labels: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, l) in labels.iter().enumerate() {
            out.extend_from_slice(l);
            out.extend(std::iter::repeat_n(i as u8, 3072));
        }
        out
    }

    #[test]
    fn cifar10_records_become_chw_images() {
        let set = parse_cifar(
            &cifar_bytes(&[&[6], &[9]]),
            Path::new("b"),
            CifarLabels::Cifar10,
            Some(2),
        )
        .unwrap();
        assert_eq!(set.labels, vec![6, 9]);
        assert_eq!(set.image(1), &[1u8; 3072][..]);
        assert_eq!(set.shape, CIFAR_SHAPE);
    }

    #[test]
    fn cifar100_keeps_fine_or_coarse_labels() {
        let bytes = cifar_bytes(&[&[3, 77], &[19, 5]]);
        let fine = parse_cifar(&bytes, Path::new("t"), CifarLabels::Cifar100Fine, None).unwrap();
        let coarse =
            parse_cifar(&bytes, Path::new("t"), CifarLabels::Cifar100Coarse, None).unwrap();
        assert_eq!((fine.labels, fine.num_classes), (vec![77, 5], 100));
        assert_eq!((coarse.labels, coarse.num_classes), (vec![3, 19], 20));
    }

    #[test]
    fn errors_name_the_file_and_the_problem() {
        let p = Path::new("data_batch_1.bin");
        let mut truncated = cifar_bytes(&[&[1]]);
        truncated.pop();
        let cases = [
            (
                parse_cifar(&truncated, p, CifarLabels::Cifar10, None),
                "truncated",
            ),
            (
                parse_cifar(&cifar_bytes(&[&[11]]), p, CifarLabels::Cifar10, None),
                "label 11 in a 10-class set",
            ),
            (
                parse_cifar(&cifar_bytes(&[&[1]]), p, CifarLabels::Cifar10, Some(10_000)),
                "1 records, expected 10000",
            ),
            (parse_cifar(&[], p, CifarLabels::Cifar10, None), "0 bytes"),
            (
                parse_cifar(
                    &cifar_bytes(&[&[20, 1]]),
                    p,
                    CifarLabels::Cifar100Coarse,
                    None,
                ),
                "label 20 in a 20-class set",
            ),
        ];
        for (result, expected) in cases {
            let err = result.unwrap_err().to_string();
            assert!(
                err.contains(expected) && err.contains("data_batch_1.bin"),
                "{err}"
            );
        }
    }

    #[test]
    fn concat_joins_batches_in_order() {
        let a = parse_cifar(
            &cifar_bytes(&[&[1]]),
            Path::new("a"),
            CifarLabels::Cifar10,
            None,
        )
        .unwrap();
        let b = parse_cifar(
            &cifar_bytes(&[&[2], &[3]]),
            Path::new("b"),
            CifarLabels::Cifar10,
            None,
        )
        .unwrap();
        let all = concat(vec![a, b]).unwrap();
        assert_eq!(all.labels, vec![1, 2, 3]);
        assert_eq!(all.image(2)[0], 1);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(len in 0usize..7000, seed in any::<u8>()) {
            let bytes: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(seed)).collect();
            for kind in [CifarLabels::Cifar10, CifarLabels::Cifar100Fine, CifarLabels::Cifar100Coarse] {
                let _ = parse_cifar(&bytes, Path::new("f"), kind, None);
            }
        }
    }
}
