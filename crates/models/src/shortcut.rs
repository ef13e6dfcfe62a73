//! The shortcut path of a block: none (plain), identity, option A zero-padding, or option B
//! projection.

use crate::blueprint::ShortcutPlan;
use crate::conv_bn::ConvBn;
use crate::pass::Pass;
use tch::{nn, Tensor};

#[derive(Debug)]
pub(crate) enum ShortcutPath {
    /// Plain networks: the block output is its main path alone.
    None,
    Identity,
    /// Option A (He et al. 2016): keep every `stride`-th pixel, append zero channels.
    ZeroPad {
        stride: i64,
        extra_channels: i64,
    },
    /// Option B: 1x1 conv + BN (no ReLU).
    Projection(Box<ConvBn>),
}

impl ShortcutPath {
    /// Projection variables live under `{p}/shortcut`.
    pub fn new(p: &nn::Path, plan: &ShortcutPlan) -> ShortcutPath {
        match plan {
            ShortcutPlan::None => ShortcutPath::None,
            ShortcutPlan::Identity => ShortcutPath::Identity,
            ShortcutPlan::ZeroPad {
                stride,
                extra_channels,
            } => ShortcutPath::ZeroPad {
                stride: *stride,
                extra_channels: *extra_channels,
            },
            ShortcutPlan::Projection(conv) => {
                ShortcutPath::Projection(Box::new(ConvBn::new(&(p / "shortcut"), conv)))
            }
        }
    }

    /// `main + shortcut(xs)`, or `main` alone for plain networks.
    /// `layer`: the weighted layer a projection's BN health is recorded under.
    pub fn add(&self, main: Tensor, xs: &Tensor, pass: &Pass<'_>, layer: usize) -> Tensor {
        match self {
            ShortcutPath::None => main,
            ShortcutPath::Identity => main + xs,
            ShortcutPath::ZeroPad {
                stride,
                extra_channels,
            } => {
                let sub = if *stride > 1 {
                    xs.slice(2, 0, None, *stride).slice(3, 0, None, *stride)
                } else {
                    xs.shallow_clone()
                };
                // Pad order is last dim first: (W lo, W hi, H lo, H hi, C lo, C hi).
                main + sub.constant_pad_nd([0, 0, 0, 0, 0, *extra_channels])
            }
            ShortcutPath::Projection(proj) => main + proj.forward_t(xs, pass, layer),
        }
    }
}
