//! The first layer: 3x3 conv + BN + ReLU (small images) or 7x7 stride-2 conv + BN + ReLU and a
//! 3x3 stride-2 max-pool (ImageNet).

use crate::blueprint::StemPlan;
use crate::conv_bn::ConvBn;
use crate::pass::Pass;
use tch::{nn, Tensor};

#[derive(Debug)]
pub(crate) struct Stem {
    conv: ConvBn,
    max_pool: bool,
}

impl Stem {
    pub fn new(p: &nn::Path, plan: &StemPlan) -> Stem {
        Stem {
            conv: ConvBn::new(p, &plan.conv),
            max_pool: plan.max_pool,
        }
    }

    /// The stem's output, which is also its tap (after the max-pool on ImageNet).
    pub fn forward(&self, xs: &Tensor, pass: &Pass<'_>) -> Tensor {
        let h = self.conv.forward_relu(xs, pass, 1);
        if self.max_pool {
            h.max_pool2d([3, 3], [2, 2], [1, 1], [1, 1], false)
        } else {
            h
        }
    }

    pub fn weight(&self) -> &Tensor {
        self.conv.weight()
    }
}
