//! The basic block of the small-image ResNet and ImageNet ResNet-18/34: two 3x3 conv + BN,
//! ReLU after the first, then the shortcut is added and ReLU applied.

use crate::blueprint::BlockPlan;
use crate::conv_bn::ConvBn;
use crate::shortcut::ShortcutPath;
use tch::{nn, Tensor};

#[derive(Debug)]
pub(crate) struct BasicBlock {
    conv1: ConvBn,
    conv2: ConvBn,
    pub shortcut: ShortcutPath,
}

impl BasicBlock {
    /// Main path only; the shortcut is attached later (see `Network::new`).
    pub fn new(p: &nn::Path, plan: &BlockPlan) -> BasicBlock {
        BasicBlock {
            conv1: ConvBn::new(&(p / "conv1"), &plan.convs[0]),
            conv2: ConvBn::new(&(p / "conv2"), &plan.convs[1]),
            shortcut: ShortcutPath::None,
        }
    }

    /// Emits conv1's output (after BN+ReLU) as tap 0 and the block output as tap 1.
    pub fn forward(
        &self,
        xs: &Tensor,
        train: bool,
        emit: &mut dyn FnMut(usize, &Tensor),
    ) -> Tensor {
        let h = self.conv1.forward_relu(xs, train);
        emit(0, &h);
        let out = self
            .shortcut
            .add(self.conv2.forward_t(&h, train), xs, train)
            .relu();
        emit(1, &out);
        out
    }

    pub fn weights(&self) -> [&Tensor; 2] {
        [self.conv1.weight(), self.conv2.weight()]
    }
}
