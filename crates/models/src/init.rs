//! Initialisation as in paper.md: He normal (fan-out, ReLU gain) for convolutions, no conv
//! bias, BN weight 1 and bias 0, PyTorch's default for the linear classifier.
//!
//! tch's own defaults differ (conv bias on, BN weight uniform in [0, 1)), so every layer of this
//! crate takes its config from here.

use tch::nn::{self, init::FanInOut, init::NonLinearity, init::NormalOrUniform, Init};

/// He et al. (2015) normal initialisation with fan-out mode, as `kaiming_normal_(mode="fan_out")`.
pub const HE_NORMAL_FAN_OUT: Init = Init::Kaiming {
    dist: NormalOrUniform::Normal,
    fan: FanInOut::FanOut,
    non_linearity: NonLinearity::ReLU,
};

/// A bias-free convolution with He normal fan-out weights.
pub(crate) fn conv_config(stride: i64, padding: i64, groups: i64) -> nn::ConvConfig {
    nn::ConvConfig {
        stride,
        padding,
        groups,
        bias: false,
        ws_init: HE_NORMAL_FAN_OUT,
        ..Default::default()
    }
}

/// Batch normalisation starting as the identity map (weight 1, bias 0).
pub(crate) fn batch_norm_config() -> nn::BatchNormConfig {
    nn::BatchNormConfig {
        ws_init: Init::Const(1.0),
        bs_init: Init::Const(0.0),
        ..Default::default()
    }
}

/// PyTorch's `nn.Linear` default (Kaiming uniform with a = sqrt(5), bias U(+-1/sqrt(fan_in))),
/// which is also tch's default.
pub(crate) fn linear_config() -> nn::LinearConfig {
    nn::LinearConfig::default()
}
