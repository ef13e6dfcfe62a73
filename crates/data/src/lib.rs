//! deepskip-data.
#![doc = include_str!("../README.md")]

pub mod augmentation;
pub mod batches;
pub mod checksum;
pub mod cifar;
pub mod dataset;
pub mod dataset_name;
mod decoded;
pub mod download;
mod error;
pub mod extract;
pub mod fetch;
pub mod idx;
pub mod image_set;
pub mod imagenet;
pub mod normalization;
pub mod source;
pub mod synthetic;
#[cfg(feature = "tch")]
mod tensor;
pub mod verify;

pub use augmentation::Augmentation;
pub use batches::{eval_batches, train_batches, Batch, Batches};
pub use dataset::{load, Dataset};
pub use dataset_name::DatasetName;
pub use error::DataError;
pub use fetch::{fetch, fetch_with, Urls};
pub use image_set::{ImageSet, ImageShape};
pub use normalization::Normalization;
pub use source::DataSource;
