//! A loaded data set: both splits in memory with their normalisation and augmentation.

use crate::augmentation::Augmentation;
use crate::cifar::{concat, read_cifar, CifarLabels};
use crate::fetch::fetch;
use crate::idx::read_idx_split;
use crate::image_set::ImageSet;
use crate::normalization::Normalization;
use crate::source::DataSource;
use crate::{DataError, DatasetName};
use rayon::prelude::*;
use std::path::Path;

/// Both splits of a data set with what training needs to consume them.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub name: DatasetName,
    pub train: ImageSet,
    pub test: ImageSet,
    /// Per-channel statistics of the training split.
    pub normalization: Normalization,
    /// He et al.'s pad-crop-flip for CIFAR, none for MNIST and IDX directories.
    pub augmentation: Augmentation,
}

/// Loads `name`, fetching (and verifying) its files first when the data root lacks them.
pub fn load(name: &DatasetName, source: &DataSource) -> Result<Dataset, DataError> {
    fetch(name, source)?;
    let root = &source.root;
    let (train, test) = match name {
        DatasetName::Mnist => {
            let dir = root.join("mnist");
            (
                read_idx_split(&dir, true, Some(10))?,
                read_idx_split(&dir, false, Some(10))?,
            )
        }
        DatasetName::Idx(dir) => load_idx_dir(dir)?,
        DatasetName::Cifar10 => load_cifar10(root)?,
        DatasetName::Cifar100 { coarse } => load_cifar100(root, *coarse)?,
        DatasetName::ImageNet => return Err(DataError::StreamedDataset),
    };
    let augmentation = match name {
        DatasetName::Cifar10 | DatasetName::Cifar100 { .. } => Augmentation::STANDARD_CIFAR,
        DatasetName::Mnist | DatasetName::Idx(_) | DatasetName::ImageNet => Augmentation::None,
    };
    Ok(Dataset {
        name: name.clone(),
        normalization: Normalization::from_images(&train),
        train,
        test,
        augmentation,
    })
}

/// Both splits of an IDX directory, with the class count taken from the larger label of either.
fn load_idx_dir(dir: &Path) -> Result<(ImageSet, ImageSet), DataError> {
    let mut train = read_idx_split(dir, true, None)?;
    let mut test = read_idx_split(dir, false, None)?;
    let classes = train.num_classes.max(test.num_classes);
    train.num_classes = classes;
    test.num_classes = classes;
    Ok((train, test))
}

fn load_cifar10(root: &Path) -> Result<(ImageSet, ImageSet), DataError> {
    let dir = root.join("cifar-10-batches-bin");
    let names = [
        "data_batch_1.bin",
        "data_batch_2.bin",
        "data_batch_3.bin",
        "data_batch_4.bin",
        "data_batch_5.bin",
        "test_batch.bin",
    ];
    let mut parts = names
        .par_iter()
        .map(|n| read_cifar(&dir.join(n), CifarLabels::Cifar10, Some(10_000)))
        .collect::<Result<Vec<_>, _>>()?;
    let test = parts
        .pop()
        .ok_or_else(|| DataError::InvalidArgument("no CIFAR-10 test batch".into()))?;
    Ok((concat(parts)?, test))
}

fn load_cifar100(root: &Path, coarse: bool) -> Result<(ImageSet, ImageSet), DataError> {
    let dir = root.join("cifar-100-binary");
    let labels = if coarse {
        CifarLabels::Cifar100Coarse
    } else {
        CifarLabels::Cifar100Fine
    };
    let train = read_cifar(&dir.join("train.bin"), labels, Some(50_000))?;
    let test = read_cifar(&dir.join("test.bin"), labels, Some(10_000))?;
    Ok((train, test))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idx::tests::idx_bytes;

    #[test]
    fn an_idx_directory_loads_with_classes_from_both_splits_and_no_augmentation() {
        let dir = tempfile::tempdir().unwrap();
        let write =
            |name: &str, bytes: Vec<u8>| std::fs::write(dir.path().join(name), bytes).unwrap();
        write(
            "train-images-idx3-ubyte",
            idx_bytes(&[2, 2, 2], &[0, 0, 0, 0, 255, 255, 255, 255]),
        );
        write("train-labels-idx1-ubyte", idx_bytes(&[2], &[0, 1]));
        write("t10k-images-idx3-ubyte", idx_bytes(&[1, 2, 2], &[9; 4]));
        write("t10k-labels-idx1-ubyte", idx_bytes(&[1], &[4]));
        let name = DatasetName::Idx(dir.path().to_path_buf());
        let data = load(&name, &DataSource::local(dir.path().join("unused-root"))).unwrap();
        assert_eq!((data.train.num_classes, data.test.num_classes), (5, 5));
        assert_eq!(data.augmentation, Augmentation::None);
        assert!((data.normalization.mean[0] - 0.5).abs() < 1e-6);
        assert!(
            !dir.path().join("unused-root").exists(),
            "an IDX directory fetches nothing"
        );
    }
}
