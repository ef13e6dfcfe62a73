//! The bottleneck block: 1x1 reduce, 3x3 (grouped for ResNeXt, stride here as in torchvision),
//! 1x1 expand, each with BN; ReLU after the first two; shortcut added, then ReLU.
//!
//! ResNet's bottleneck (He et al. 2016) is the `groups = 1` case; ResNeXt's aggregated block
//! (Xie et al. 2017, form (c)) is the same block with `groups = cardinality`.

use crate::blueprint::BlockPlan;
use crate::conv_bn::ConvBn;
use crate::shortcut::ShortcutPath;
use tch::{nn, Tensor};

#[derive(Debug)]
pub(crate) struct BottleneckBlock {
    conv1: ConvBn,
    conv2: ConvBn,
    conv3: ConvBn,
    pub shortcut: ShortcutPath,
}

impl BottleneckBlock {
    /// Main path only; the shortcut is attached later (see `Network::new`).
    pub fn new(p: &nn::Path, plan: &BlockPlan) -> BottleneckBlock {
        BottleneckBlock {
            conv1: ConvBn::new(&(p / "conv1"), &plan.convs[0]),
            conv2: ConvBn::new(&(p / "conv2"), &plan.convs[1]),
            conv3: ConvBn::new(&(p / "conv3"), &plan.convs[2]),
            shortcut: ShortcutPath::None,
        }
    }

    /// Emits conv1 and conv2 outputs (after BN+ReLU) as taps 0 and 1, the block output as tap 2.
    pub fn forward(
        &self,
        xs: &Tensor,
        train: bool,
        emit: &mut dyn FnMut(usize, &Tensor),
    ) -> Tensor {
        let h1 = self.conv1.forward_relu(xs, train);
        emit(0, &h1);
        let h2 = self.conv2.forward_relu(&h1, train);
        drop(h1);
        emit(1, &h2);
        let out = self
            .shortcut
            .add(self.conv3.forward_t(&h2, train), xs, train)
            .relu();
        emit(2, &out);
        out
    }

    pub fn weights(&self) -> [&Tensor; 3] {
        [
            self.conv1.weight(),
            self.conv2.weight(),
            self.conv3.weight(),
        ]
    }
}
