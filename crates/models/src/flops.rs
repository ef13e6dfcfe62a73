//! Analytic forward-pass FLOP count of a [`ModelSpec`], for throughput reports (GFLOP/s).
//!
//! Convention: 2 FLOPs per multiply-add of every convolution (projections included) and of the
//! classifier; batch normalisation, ReLU, additions and pooling are left out (they are a few
//! percent of the total and memory-bound). A training step costs about three forward passes
//! (forward, input gradients, weight gradients).

use crate::blueprint::{Blueprint, ConvPlan, ShortcutPlan};
use crate::spec::ModelSpec;

impl ModelSpec {
    /// FLOPs of one forward pass of one `height x width` image (see the module docs).
    pub fn forward_flops(&self, height: i64, width: i64) -> u64 {
        let plan = Blueprint::of(self);
        let (mut total, mut size) = conv_flops(&plan.stem.conv, (height, width));
        if plan.stem.max_pool {
            // 3x3, stride 2, padding 1.
            size = ((size.0 - 1) / 2 + 1, (size.1 - 1) / 2 + 1);
        }
        for block in &plan.blocks {
            if let ShortcutPlan::Projection(conv) = &block.shortcut {
                total += conv_flops(conv, size).0;
            }
            for conv in &block.convs {
                let (flops, out) = conv_flops(conv, size);
                total += flops;
                size = out;
            }
        }
        total + 2 * (plan.classifier_in * plan.num_classes) as u64
    }
}

/// FLOPs of `conv` on an input of `(height, width)`, and its output size.
fn conv_flops(conv: &ConvPlan, (height, width): (i64, i64)) -> (u64, (i64, i64)) {
    let out = |size: i64| (size + 2 * conv.padding - conv.kernel) / conv.stride + 1;
    let (h, w) = (out(height), out(width));
    let per_pixel =
        conv.out_channels * (conv.in_channels / conv.groups) * conv.kernel * conv.kernel;
    ((2 * per_pixel * h * w).max(0) as u64, (h, w))
}

#[cfg(test)]
mod tests {
    use crate::{Family, ModelSpec};

    #[test]
    fn resnet_8_matches_a_hand_count() {
        // resnet-8 on 32x32: one basic block per stage, widths 16/32/64, option A shortcuts.
        let spec = ModelSpec::new(Family::ResNet, 8).unwrap();
        let conv = |c_in: u64, c_out: u64, side: u64| 2 * c_out * c_in * 9 * side * side;
        let expected = conv(3, 16, 32)
            + conv(16, 16, 32)
            + conv(16, 16, 32)
            + conv(16, 32, 16)
            + conv(32, 32, 16)
            + conv(32, 64, 8)
            + conv(64, 64, 8)
            + 2 * 64 * 10;
        assert_eq!(spec.forward_flops(32, 32), expected);
        // Plain twin: the same convolutions (option A adds no FLOPs).
        let plain = spec.clone().without_shortcuts();
        assert_eq!(plain.forward_flops(32, 32), expected);
    }

    #[test]
    fn projections_and_groups_are_counted() {
        // resnext-11: one grouped bottleneck per stage, cardinality 4; stage 1 keeps 64
        // channels (identity shortcut), stages 2 and 3 project with a strided 1x1 conv.
        let spec = ModelSpec::new(Family::ResNeXt, 11).unwrap();
        let c = |c_in: u64, c_out: u64, k: u64, groups: u64, side: u64| {
            2 * c_out * (c_in / groups) * k * k * side * side
        };
        let stage1 = c(64, 32, 1, 1, 32) + c(32, 32, 3, 4, 32) + c(32, 64, 1, 1, 32);
        let stage2 =
            c(64, 64, 1, 1, 32) + c(64, 64, 3, 4, 16) + c(64, 128, 1, 1, 16) + c(64, 128, 1, 1, 16);
        let stage3 = c(128, 128, 1, 1, 16)
            + c(128, 128, 3, 4, 8)
            + c(128, 256, 1, 1, 8)
            + c(128, 256, 1, 1, 8);
        let expected = c(3, 64, 3, 1, 32) + stage1 + stage2 + stage3 + 2 * 256 * 10;
        assert_eq!(spec.forward_flops(32, 32), expected);
    }
}
