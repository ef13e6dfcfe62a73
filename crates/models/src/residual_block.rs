//! A residual block of `k` conv + BN layers, ReLU after every one but the last; the shortcut
//! (identity, zero-pad, projection, or none for the plain twins) is added, then ReLU.
//!
//! `k = 2` is the basic block of the small-image ResNet and ImageNet ResNet-18/34 (two 3x3);
//! `k = 3` is the bottleneck (1x1 reduce, 3x3 with the stride as in torchvision, 1x1 expand) of
//! ResNet-50/101/152 and, with `groups = cardinality` in the 3x3, ResNeXt's aggregated block
//! (Xie et al. 2017, form (c)). The blueprint decides `k` and every conv's shape.

use crate::blueprint::BlockPlan;
use crate::conv_bn::ConvBn;
use crate::pass::Pass;
use crate::shortcut::ShortcutPath;
use tch::{nn, Tensor};

#[derive(Debug)]
pub(crate) struct ResidualBlock {
    /// `conv1 .. convk` in forward order.
    convs: Vec<ConvBn>,
    pub shortcut: ShortcutPath,
}

impl ResidualBlock {
    /// Main path only, variables created in forward order; the shortcut is attached later
    /// (see `Network::new`).
    pub fn new(p: &nn::Path, plan: &BlockPlan) -> ResidualBlock {
        let convs = plan
            .convs
            .iter()
            .enumerate()
            .map(|(i, conv)| ConvBn::new(&(p / format!("conv{}", i + 1)), conv))
            .collect();
        ResidualBlock {
            convs,
            shortcut: ShortcutPath::None,
        }
    }

    /// Emits each inner conv's output (after BN+ReLU) as taps `0 .. k-2` and the block output
    /// (after the add and ReLU) as tap `k-1`. `first` is the weighted-layer index of `conv1`
    /// (for the BN health record; a projection counts toward the last layer). The first error
    /// `emit` returns stops the block.
    pub fn forward<E>(
        &self,
        xs: &Tensor,
        pass: &Pass<'_>,
        first: usize,
        emit: &mut dyn FnMut(usize, &Tensor) -> Result<(), E>,
    ) -> Result<Tensor, E> {
        let (last, inner) = self.convs.split_last().expect("a block has convolutions");
        let mut h = xs.shallow_clone();
        for (i, conv) in inner.iter().enumerate() {
            h = conv.forward_relu(&h, pass, first + i);
            emit(i, &h)?;
        }
        let last_layer = first + inner.len();
        let main = last.forward_t(&h, pass, last_layer);
        let out = self.shortcut.add(main, xs, pass, last_layer).relu();
        emit(inner.len(), &out)?;
        Ok(out)
    }

    /// Each convolution's kernel with its group count, in forward order.
    pub fn weights(&self) -> impl Iterator<Item = (&Tensor, usize)> {
        self.convs.iter().map(|c| (c.weight(), c.groups()))
    }
}
