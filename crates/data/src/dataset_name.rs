//! The names data sets go by on the command line and in run configurations.

use crate::DataError;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// A data set: one of the built-in ones or a directory of IDX files in MNIST's layout.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DatasetName {
    /// MNIST digits, 60,000 train / 10,000 test, 28x28x1, 10 classes.
    Mnist,
    /// CIFAR-10 (binary version), 50,000 / 10,000, 32x32x3, 10 classes.
    Cifar10,
    /// CIFAR-100 (binary version): 100 fine labels, or the 20 coarse ones when `coarse`.
    Cifar100 { coarse: bool },
    /// A directory holding `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
    /// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte` (each optionally `.gz`), such as
    /// Fashion-MNIST or KMNIST.
    Idx(PathBuf),
    /// ImageNet-2012 (ILSVRC): `train/` and `val/` class folders of JPEGs, 1,000 classes. Read
    /// from its folders as it is streamed (see [`crate::imagenet`]), never fetched or held in
    /// memory.
    ImageNet,
}

impl DatasetName {
    /// The data sets `deepskip data fetch all` fetches.
    pub fn downloadable() -> [DatasetName; 3] {
        [
            DatasetName::Mnist,
            DatasetName::Cifar10,
            DatasetName::Cifar100 { coarse: false },
        ]
    }

    /// Number of classes, when fixed by the data set (an IDX directory decides from its labels).
    pub fn num_classes(&self) -> Option<usize> {
        match self {
            DatasetName::Mnist | DatasetName::Cifar10 => Some(10),
            DatasetName::Cifar100 { coarse: false } => Some(100),
            DatasetName::Cifar100 { coarse: true } => Some(20),
            DatasetName::Idx(_) => None,
            DatasetName::ImageNet => Some(1000),
        }
    }
}

impl fmt::Display for DatasetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatasetName::Mnist => f.write_str("mnist"),
            DatasetName::Cifar10 => f.write_str("cifar10"),
            DatasetName::Cifar100 { coarse: false } => f.write_str("cifar100"),
            DatasetName::Cifar100 { coarse: true } => f.write_str("cifar100-coarse"),
            DatasetName::Idx(dir) => write!(f, "idx:{}", dir.display()),
            DatasetName::ImageNet => f.write_str("imagenet"),
        }
    }
}

impl FromStr for DatasetName {
    type Err = DataError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "mnist" => Ok(DatasetName::Mnist),
            "cifar10" | "cifar-10" => Ok(DatasetName::Cifar10),
            "cifar100" | "cifar-100" => Ok(DatasetName::Cifar100 { coarse: false }),
            "cifar100-coarse" | "cifar-100-coarse" => Ok(DatasetName::Cifar100 { coarse: true }),
            "imagenet" | "imagenet2012" | "ilsvrc2012" => Ok(DatasetName::ImageNet),
            _ => match s.strip_prefix("idx:") {
                Some(dir) if !dir.is_empty() => Ok(DatasetName::Idx(PathBuf::from(dir))),
                _ => Err(DataError::UnknownDataset { name: s.to_owned() }),
            },
        }
    }
}

/// As its name (`mnist`, `idx:<dir>`, `imagenet`): the form the command line and every record use.
impl serde::Serialize for DatasetName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for DatasetName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for text in [
            "mnist",
            "cifar10",
            "cifar100",
            "cifar100-coarse",
            "idx:/data/fashion",
            "imagenet",
        ] {
            let name: DatasetName = text.parse().unwrap();
            assert_eq!(name.to_string(), text);
        }
    }

    #[test]
    fn unknown_names_are_errors_that_list_the_valid_ones() {
        for bad in ["imagenet-21k", "", "idx:", "cifar1000"] {
            let err = bad.parse::<DatasetName>().unwrap_err().to_string();
            assert!(err.contains("cifar100-coarse"), "{err}");
        }
    }

    #[test]
    fn class_counts_follow_the_label_kind() {
        assert_eq!(
            DatasetName::Cifar100 { coarse: true }.num_classes(),
            Some(20)
        );
        assert_eq!(
            DatasetName::Cifar100 { coarse: false }.num_classes(),
            Some(100)
        );
        assert_eq!(DatasetName::Idx("x".into()).num_classes(), None);
    }
}
