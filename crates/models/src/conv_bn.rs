//! Convolution + batch normalisation (+ ReLU): the unit every weighted conv layer is built from.

use crate::blueprint::ConvPlan;
use crate::init::{batch_norm_config, conv_config};
use crate::pass::Pass;
use crate::precision::BnStats;
use tch::{nn, Kind, Tensor};

#[derive(Debug)]
pub(crate) struct ConvBn {
    conv: nn::Conv2D,
    bn: nn::BatchNorm,
    /// `bn`'s configuration (tch keeps its copy private), for the explicit batch-norm calls.
    bn_config: nn::BatchNormConfig,
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
        let bn_config = batch_norm_config();
        let bn = nn::batch_norm2d(p / "bn", plan.out_channels, bn_config);
        let groups = usize::try_from(plan.groups).expect("validated specs have positive groups");
        ConvBn {
            conv,
            bn,
            bn_config,
            groups,
        }
    }

    /// conv then BN, no activation (the last conv of a block adds the shortcut first).
    /// `layer` is the weighted-layer index BN health is recorded under.
    pub fn forward_t(&self, xs: &Tensor, pass: &Pass<'_>, layer: usize) -> Tensor {
        let h = xs.apply(&self.conv);
        match (pass.watch, pass.bn_stats) {
            (None, BnStats::Native) => nn::ModuleT::forward_t(&self.bn, &h, pass.train),
            (_, BnStats::Native) => self.batch_norm(&h, pass, layer),
            (_, BnStats::F64) => self.batch_norm_f64(&h, pass, layer),
        }
    }

    /// conv, BN, ReLU.
    pub fn forward_relu(&self, xs: &Tensor, pass: &Pass<'_>, layer: usize) -> Tensor {
        self.forward_t(xs, pass, layer).relu()
    }

    pub fn weight(&self) -> &Tensor {
        &self.conv.ws
    }

    /// The convolution's group count (1 for a dense convolution).
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// libtorch's batch norm, keeping the statistics it computes for the health record.
    fn batch_norm(&self, h: &Tensor, pass: &Pass<'_>, layer: usize) -> Tensor {
        let bn = &self.bn;
        let (out, mean, invstd) = h.native_batch_norm(
            bn.ws.as_ref(),
            bn.bs.as_ref(),
            Some(&bn.running_mean),
            Some(&bn.running_var),
            pass.train,
            self.bn_config.momentum,
            self.bn_config.eps,
        );
        self.record(pass, layer, &mean, &invstd);
        out
    }

    /// Batch norm computed in f64 (statistics, normalisation, affine), the result cast back to
    /// the input's kind; the running statistics are updated in f64 and copied back.
    fn batch_norm_f64(&self, h: &Tensor, pass: &Pass<'_>, layer: usize) -> Tensor {
        let bn = &self.bn;
        let double = |t: &Tensor| t.to_kind(Kind::Double);
        let (running_mean, running_var) = (double(&bn.running_mean), double(&bn.running_var));
        let (out, mean, invstd) = double(h).native_batch_norm(
            bn.ws.as_ref().map(double),
            bn.bs.as_ref().map(double),
            Some(running_mean.shallow_clone()),
            Some(running_var.shallow_clone()),
            pass.train,
            self.bn_config.momentum,
            self.bn_config.eps,
        );
        if pass.train {
            tch::no_grad(|| {
                bn.running_mean.shallow_clone().copy_(&running_mean);
                bn.running_var.shallow_clone().copy_(&running_var);
            });
        }
        self.record(pass, layer, &mean, &invstd);
        out.to_kind(h.kind())
    }

    fn record(&self, pass: &Pass<'_>, layer: usize, mean: &Tensor, invstd: &Tensor) {
        let Some(watch) = pass.watch else { return };
        if pass.train {
            watch.record_batch(layer, mean, invstd);
        } else {
            watch.record_running(layer, &self.bn.running_mean, &self.bn.running_var);
        }
    }
}
