//! Convolution + batch normalisation (+ ReLU): the unit every weighted conv layer is built from.

use crate::blueprint::ConvPlan;
use crate::init::{batch_norm_config, conv_config};
use tch::{nn, nn::ModuleT, Tensor};

#[derive(Debug)]
pub(crate) struct ConvBn {
    conv: nn::Conv2D,
    bn: nn::BatchNorm,
    groups: usize,
}

impl ConvBn {
    /// Variables `{p}/conv/weight` and `{p}/bn/{weight,bias,running_mean,running_var}`.
    pub fn new(p: &nn::Path, plan: &ConvPlan) -> ConvBn {
        let config = conv_config(plan.stride, plan.padding, plan.groups);
        let conv = nn::conv2d(
            p / "conv",
            plan.in_channels,
            plan.out_channels,
            plan.kernel,
            config,
        );
        let bn = nn::batch_norm2d(p / "bn", plan.out_channels, batch_norm_config());
        let groups = usize::try_from(plan.groups).expect("validated specs have positive groups");
        ConvBn { conv, bn, groups }
    }

    /// conv then BN, no activation (the last conv of a block adds the shortcut first).
    pub fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        xs.apply(&self.conv).apply_t(&self.bn, train)
    }

    /// conv, BN, ReLU.
    pub fn forward_relu(&self, xs: &Tensor, train: bool) -> Tensor {
        self.forward_t(xs, train).relu()
    }

    pub fn weight(&self) -> &Tensor {
        &self.conv.ws
    }

    /// The convolution's group count (1 for a dense convolution).
    pub fn groups(&self) -> usize {
        self.groups
    }
}

impl ModuleT for ConvBn {
    fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        ConvBn::forward_t(self, xs, train)
    }
}
