//! Network families, input kinds and shortcut options.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Which network family: the block type and whether it has skip connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// ResNet with every shortcut removed.
    PlainNet,
    /// He et al. residual network.
    ResNet,
    /// Xie et al. aggregated residual network (grouped bottlenecks).
    ResNeXt,
    /// ResNeXt with every shortcut removed.
    PlainNeXt,
}

impl Family {
    /// Every family, in the order the command line lists them.
    pub const ALL: [Family; 4] = [
        Family::PlainNet,
        Family::ResNet,
        Family::ResNeXt,
        Family::PlainNeXt,
    ];

    /// The lowercase name used in model names (`resnet` in `resnet-164`).
    pub fn name(self) -> &'static str {
        match self {
            Family::PlainNet => "plainnet",
            Family::ResNet => "resnet",
            Family::ResNeXt => "resnext",
            Family::PlainNeXt => "plainnext",
        }
    }

    /// Whether blocks add a shortcut to their output.
    pub fn has_shortcuts(self) -> bool {
        matches!(self, Family::ResNet | Family::ResNeXt)
    }

    /// Whether the family uses grouped (ResNeXt) bottlenecks.
    pub fn is_grouped(self) -> bool {
        matches!(self, Family::ResNeXt | Family::PlainNeXt)
    }

    /// The family with the same layers and shortcuts removed (itself for plain families).
    pub fn plain(self) -> Family {
        match self {
            Family::ResNet | Family::PlainNet => Family::PlainNet,
            Family::ResNeXt | Family::PlainNeXt => Family::PlainNeXt,
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which input resolution family the network is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    /// CIFAR/MNIST-sized images (28x28, 32x32): 3x3 stem, three stages, depth 6n+2 or 9n+2.
    SmallImage,
    /// ImageNet images (224x224): 7x7 stride-2 stem with max-pool, four stages.
    ImageNet,
}

impl InputKind {
    /// The prefix accepted in model names (`cifar-resnet-50`, `imagenet-resnet-50`).
    pub fn prefix(self) -> &'static str {
        match self {
            InputKind::SmallImage => "cifar",
            InputKind::ImageNet => "imagenet",
        }
    }
}

impl fmt::Display for InputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputKind::SmallImage => f.write_str("small-image/CIFAR"),
            InputKind::ImageNet => f.write_str("ImageNet"),
        }
    }
}

/// How a residual block's shortcut handles a change of shape (He et al. options A and B).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Shortcut {
    /// Option A: stride-2 subsampling and zero channels appended; no parameters.
    A,
    /// Option B: 1x1 convolution + BN projection where the shape changes; identity elsewhere.
    B,
}
