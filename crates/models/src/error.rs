//! The error type of deepskip-models.

use crate::family::{Family, InputKind};

/// Everything that can go wrong when describing or building a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A name such as `resnet-164` could not be parsed.
    #[error(
        "unknown model `{name}`: {reason}; expected `[cifar-|imagenet-]<family>-<depth>[-<C>x<d>d]` \
         with family one of plainnet, resnet, resnext, plainnext (e.g. resnet-164, resnext-101-32x4d)"
    )]
    UnknownModel { name: String, reason: String },

    /// An initialisation name that is not one of the schemes.
    #[error("unknown initialisation `{name}`: expected he or delta-orthogonal")]
    UnknownInit { name: String },

    /// The depth does not fit the family's depth rule.
    #[error(
        "{family} ({input}) cannot have depth {depth}: depth must be {rule}; valid depths include {valid_examples}"
    )]
    InvalidDepth {
        family: Family,
        input: InputKind,
        depth: usize,
        rule: &'static str,
        valid_examples: String,
    },

    /// The width multiplier is not a positive finite number.
    #[error(
        "width multiplier {value} is invalid: use a positive finite number such as 1.0 or 0.5"
    )]
    InvalidWidthMultiplier { value: f64 },

    /// Cardinality or bottleneck width do not fit the family.
    #[error("{family}: cardinality {cardinality} with bottleneck width {bottleneck_width} is invalid: {reason}")]
    InvalidGrouping {
        family: Family,
        cardinality: i64,
        bottleneck_width: i64,
        reason: &'static str,
    },

    /// Input channels or class count are not positive.
    #[error(
        "input with {in_channels} channels and {num_classes} classes is invalid: both must be >= 1 \
         (MNIST: 1 and 10, CIFAR-10: 3 and 10, CIFAR-100: 3 and 100, ImageNet: 3 and 1000)"
    )]
    InvalidInput { in_channels: i64, num_classes: i64 },

    /// A layer selection names a layer the network does not have.
    #[error("layer {index} does not exist: this network has weighted layers 1..={layer_count}")]
    LayerOutOfRange { index: usize, layer_count: usize },
}
