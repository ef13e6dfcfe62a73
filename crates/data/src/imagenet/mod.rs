//! ImageNet-2012 (ILSVRC2012) in the standard folder layout: `train/<wnid>/*.JPEG` and
//! `val/<wnid>/*.JPEG`, decoded by content, cropped and normalised in parallel ahead of the
//! consumer.
//!
//! The data set cannot be downloaded (licence): users bring it, sort the raw validation images
//! with [`prep::sort_validation`] (`deepskip data imagenet-prep`), and stream batches with
//! [`loader::ImagenetLoader`] (the crate's [`crate::Batch`], shape `[n, 3, size, size]`).

pub mod decode;
pub mod error;
pub mod folder;
pub mod loader;
pub mod meta_mat;
pub mod prep;
pub mod transform;

pub use decode::{decode_rgb, probe_dimensions, DecodeError};
pub use error::ImagenetError;
pub use folder::{ImageFolder, ImagenetLayout};
pub use loader::{EpochBatches, ImagenetLoader, LoaderConfig, SkippedImage};
pub use prep::{sort_validation, PrepMode, PrepReport};
pub use transform::{CropWindow, Split, TransformConfig};
