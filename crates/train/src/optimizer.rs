//! SGD with momentum and weight decay, written out on the VarStore's tensors so that the
//! momentum buffers are plain named tensors a checkpoint can save and restore exactly (tch's
//! `nn::Sgd` keeps them inside libtorch, out of reach).
//!
//! The update is PyTorch's `torch.optim.SGD` (dampening 0):
//! `g = grad + wd * w; buf = m * buf + g; d = nesterov ? g + m * buf : buf; w -= lr * d`.
//!
//! All trainable parameters live in one flat tensor (each variable's data is a view into it),
//! and so do their gradients and the momentum buffers, so an update is a handful of operations
//! on the whole model instead of six per parameter: a 164-layer network has about 490 parameter
//! tensors, mostly small, and per-tensor dispatch would cost more than the arithmetic
//! (bench/README.md). Each gradient is a view of the flat gradient buffer before the first
//! backward pass, so backward accumulates into it in place (autograd adds into a defined
//! gradient), zeroing is one kernel and the update needs no concatenation.

use crate::{StepOutcome, TrainError};
use std::path::Path;
use tch::nn::VarStore;
use tch::{Kind, Tensor};

/// Hyper-parameters of [`Sgd`] other than the learning rate, which changes every step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdOptions {
    pub momentum: f64,
    pub nesterov: bool,
    pub weight_decay: f64,
    /// Apply weight decay to 1-D parameters (BN scales/shifts, biases) too.
    pub decay_bn_and_bias: bool,
}

/// One trainable parameter's name and momentum buffer (a view of the flat buffer).
#[derive(Debug)]
struct Slot {
    name: String,
    buffer: Tensor,
}

/// Momentum SGD over every trainable variable of a VarStore.
#[derive(Debug)]
pub struct Sgd {
    /// In storage order: parameters that take weight decay first, by name within each group.
    slots: Vec<Slot>,
    /// Every parameter in slot order; the variables are views of it.
    params: Tensor,
    /// Every gradient in slot order; the variables' gradients are views of it.
    grads: Tensor,
    momentum: Tensor,
    /// Elements at the front of `params` that take weight decay.
    decaying: i64,
    options: SgdOptions,
}

impl Sgd {
    /// Takes the trainable variables of `vs` (in a stable order: decaying ones first, so weight
    /// decay is one operation on a prefix, then by name), moves their data into one flat tensor
    /// (values unchanged) and their gradients into another (zeroed), with zero momentum buffers
    /// (equal to PyTorch's first-step `buf = g`).
    ///
    /// Convert or move `vs` before this call, not after: new storage for a variable would not
    /// be the one this optimiser updates. Panics if the trainable variables do not share one
    /// kind.
    pub fn new(vs: &VarStore, options: SgdOptions) -> Self {
        let mut named: Vec<(String, Tensor)> = vs
            .variables()
            .into_iter()
            .filter(|(_, t)| t.requires_grad())
            .collect();
        let decays = |t: &Tensor| options.decay_bn_and_bias || t.dim() > 1;
        named.sort_by(|a, b| (!decays(&a.1), &a.0).cmp(&(!decays(&b.1), &b.0)));
        let decaying = named
            .iter()
            .take_while(|(_, t)| decays(t))
            .map(|(_, t)| t.numel() as i64)
            .sum();
        let params = flat_copy(named.iter().map(|(_, t)| t), vs);
        let grads = params.zeros_like();
        let momentum = params.zeros_like();
        define_gradients(named.iter().map(|(_, t)| t));
        let mut offset = 0;
        let slots = named
            .into_iter()
            .map(|(name, mut param)| {
                let buffer = view_of(&momentum, offset, &param);
                param.set_data(&view_of(&params, offset, &param));
                param.grad().set_data(&view_of(&grads, offset, &param));
                offset += param.numel() as i64;
                Slot { name, buffer }
            })
            .collect();
        Self {
            slots,
            params,
            grads,
            momentum,
            decaying,
            options,
        }
    }

    /// Sets every parameter's gradient to zero before a backward pass (one kernel).
    pub fn zero_grad(&mut self) {
        let _ = self.grads.zero_();
    }

    /// Applies one update with learning rate `lr` to the gradients of the last backward pass,
    /// divided by `grad_scale` (1 unless mixed precision scaled the loss). The update consumes
    /// the gradients: they are unscaled and decayed in place (the next [`Sgd::zero_grad`]
    /// clears them anyway), which saves a copy of the whole model per step.
    pub fn step(&mut self, lr: f64, grad_scale: f64) {
        if self.slots.is_empty() {
            return;
        }
        let SgdOptions {
            momentum,
            nesterov,
            weight_decay,
            ..
        } = self.options;
        tch::no_grad(|| {
            let mut g = self.grads.shallow_clone();
            if grad_scale != 1.0 {
                g /= grad_scale;
            }
            if weight_decay != 0.0 && self.decaying > 0 {
                let mut decayed = g.narrow(0, 0, self.decaying);
                decayed += self.params.narrow(0, 0, self.decaying) * weight_decay;
            }
            let _ = self.momentum.g_mul_scalar_(momentum).g_add_(&g);
            let direction = if nesterov {
                g + &self.momentum * momentum
            } else {
                self.momentum.shallow_clone()
            };
            let _ = self.params.g_sub_(&(direction * lr));
        });
    }

    /// Steps as [`Sgd::step`] when every gradient of the last backward pass is finite, and
    /// otherwise leaves weights and momentum untouched; says which it did (one device sync).
    pub fn step_if_finite(&mut self, lr: f64, grad_scale: f64) -> StepOutcome {
        let outcome = StepOutcome::from_grads_finite(self.grads_finite());
        if outcome == StepOutcome::Applied {
            self.step(lr, grad_scale);
        }
        outcome
    }

    /// Whether every gradient of the last backward pass is finite (one device sync).
    pub fn grads_finite(&self) -> bool {
        self.grads_finite_flag().int64_value(&[]) != 0
    }

    /// Whether every gradient of the last backward pass is finite, as a boolean scalar left on
    /// the device, so that a caller can read it together with other flags in one sync.
    pub fn grads_finite_flag(&self) -> Tensor {
        self.grads.isfinite().all()
    }

    /// The momentum buffers by parameter name, for a checkpoint.
    pub fn named_buffers(&self) -> Vec<(String, Tensor)> {
        self.slots
            .iter()
            .map(|s| (s.name.clone(), s.buffer.shallow_clone()))
            .collect()
    }

    /// Restores momentum buffers saved by [`Sgd::named_buffers`] (read from `path`): every
    /// parameter needs one of its shape, and every saved buffer a parameter.
    pub fn load_buffers(
        &mut self,
        path: &Path,
        saved: Vec<(String, Tensor)>,
    ) -> Result<(), TrainError> {
        let targets = self.named_buffers().into_iter().collect();
        crate::checkpoint::copy_into(path, targets, saved)
    }
}

/// The parameters' values, each in its own memory order (so that a channels-last weight stays
/// channels-last in its view), concatenated in the given order, on the store's device.
fn flat_copy<'a>(params: impl Iterator<Item = &'a Tensor>, vs: &VarStore) -> Tensor {
    let flat: Vec<Tensor> = params
        .map(|t| t.detach().permute(memory_order(t)).reshape([-1]))
        .collect();
    if flat.is_empty() {
        return Tensor::zeros([0], (tch::Kind::Float, vs.device()));
    }
    let kind = flat[0].kind();
    assert!(
        flat.iter().all(|t| t.kind() == kind),
        "Sgd: trainable variables of different kinds ({kind:?} and others) cannot share one \
         flat storage"
    );
    tch::no_grad(|| Tensor::cat(&flat, 0))
}

/// Gives every parameter a defined (zero) gradient, by one backward pass of `0 * sum(params)`,
/// so that [`Sgd::new`] can point each at its view of the flat buffer. A gradient already
/// defined (an earlier backward pass) is only zeroed again.
fn define_gradients<'a>(params: impl Iterator<Item = &'a Tensor>) {
    tch::with_grad(|| {
        let terms: Vec<Tensor> = params.map(|p| p.sum(Kind::Float) * 0.0).collect();
        if !terms.is_empty() {
            Tensor::stack(&terms, 0).sum(Kind::Float).backward();
        }
    });
}

/// `flat[offset .. offset + numel]` shaped like `like`, with `like`'s memory order (the order
/// [`flat_copy`] wrote its values in).
fn view_of(flat: &Tensor, offset: i64, like: &Tensor) -> Tensor {
    let order = memory_order(like);
    let size = like.size();
    let stored: Vec<i64> = order.iter().map(|&d| size[d as usize]).collect();
    let mut back = vec![0i64; order.len()];
    for (position, &dim) in order.iter().enumerate() {
        back[dim as usize] = position as i64;
    }
    flat.narrow(0, offset, like.numel() as i64)
        .view(stored.as_slice())
        .permute(back)
}

/// The dimensions of `t` from the slowest-varying in memory to the fastest (the identity for a
/// contiguous tensor; ties keep their order, so size-1 dimensions do not reorder anything).
fn memory_order(t: &Tensor) -> Vec<i64> {
    let stride = t.stride();
    let mut order: Vec<i64> = (0..stride.len() as i64).collect();
    order.sort_by_key(|&d| std::cmp::Reverse(stride[d as usize]));
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{nn, Device, Kind};

    fn one_param(value: f64) -> (VarStore, Tensor) {
        let vs = VarStore::new(Device::Cpu);
        let w = vs.root().var("w", &[2, 2], nn::Init::Const(value));
        (vs, w)
    }

    fn sgd(vs: &VarStore, nesterov: bool, wd: f64) -> Sgd {
        Sgd::new(
            vs,
            SgdOptions {
                momentum: 0.9,
                nesterov,
                weight_decay: wd,
                decay_bn_and_bias: true,
            },
        )
    }

    /// loss = sum(w) gives grad 1 everywhere; two steps from w = 1 checked by hand.
    #[test]
    fn two_momentum_steps_match_the_pytorch_update() {
        for (nesterov, expected) in [(false, 1.0 - 0.1 - 0.19), (true, 1.0 - 0.19 - 0.271)] {
            let (vs, w) = one_param(1.0);
            let mut opt = sgd(&vs, nesterov, 0.0);
            for _ in 0..2 {
                opt.zero_grad();
                w.sum(Kind::Float).backward();
                opt.step(0.1, 1.0);
            }
            let got = w.double_value(&[0, 0]);
            assert!(
                (got - expected).abs() < 1e-6,
                "nesterov={nesterov}: {got} vs {expected}"
            );
        }
    }

    #[test]
    fn weight_decay_pulls_weights_down_without_gradient_signal() {
        let (vs, w) = one_param(2.0);
        let mut opt = sgd(&vs, false, 0.5);
        opt.zero_grad();
        (w.sum(Kind::Float) * 0.0).backward();
        opt.step(0.1, 1.0);
        assert!((w.double_value(&[1, 1]) - (2.0 - 0.1 * 0.5 * 2.0)).abs() < 1e-6);
    }

    /// A 2-D weight and a 1-D bias (no decay on the bias): two steps of the flat update against
    /// the formula written out per parameter, with a loss scale of 2 and a known gradient.
    #[test]
    fn the_flat_update_is_the_per_parameter_formula() {
        for nesterov in [false, true] {
            let vs = VarStore::new(Device::Cpu);
            let w = (vs.root() / "a").var("weight", &[2, 3], nn::Init::Const(0.5));
            let b = (vs.root() / "a").var("bias", &[3], nn::Init::Const(-1.0));
            let mut opt = Sgd::new(
                &vs,
                SgdOptions {
                    momentum: 0.9,
                    nesterov,
                    weight_decay: 0.1,
                    decay_bn_and_bias: false,
                },
            );
            let coef = Tensor::from_slice(&[1.0f32, -2.0, 3.0]);
            let (mut w_buf, mut b_buf) = ([0.0f64; 3], [0.0f64; 3]);
            let (mut w_now, mut b_now) = ([0.5f64; 3], [-1.0f64; 3]);
            for _ in 0..2 {
                opt.zero_grad();
                // Scaled by 2 as under AMP: d(loss)/dw[i][j] = 2 * coef[j], d/db[j] = 2 * coef[j].
                ((&w * &coef).sum(Kind::Float) * 2.0 + (&b * &coef).sum(Kind::Float) * 2.0)
                    .backward();
                opt.step(0.01, 2.0);
                for j in 0..3 {
                    let c = [1.0, -2.0, 3.0][j];
                    let gw = c + 0.1 * w_now[j];
                    w_buf[j] = 0.9 * w_buf[j] + gw;
                    w_now[j] -= 0.01
                        * if nesterov {
                            gw + 0.9 * w_buf[j]
                        } else {
                            w_buf[j]
                        };
                    let gb = c;
                    b_buf[j] = 0.9 * b_buf[j] + gb;
                    b_now[j] -= 0.01
                        * if nesterov {
                            gb + 0.9 * b_buf[j]
                        } else {
                            b_buf[j]
                        };
                }
            }
            for j in 0..3 {
                let (got_w, got_b) = (w.double_value(&[1, j as i64]), b.double_value(&[j as i64]));
                assert!(
                    (got_w - w_now[j]).abs() < 1e-6,
                    "w[{j}] {got_w} vs {}",
                    w_now[j]
                );
                assert!(
                    (got_b - b_now[j]).abs() < 1e-6,
                    "b[{j}] {got_b} vs {}",
                    b_now[j]
                );
            }
        }
    }

    #[test]
    fn a_non_finite_gradient_skips_the_step_and_an_unreached_parameter_gets_zero() {
        let vs = VarStore::new(Device::Cpu);
        let used = vs.root().var("used", &[2], nn::Init::Const(1.0));
        let unused = vs.root().var("unused", &[2], nn::Init::Const(1.0));
        let mut opt = sgd(&vs, false, 0.0);
        (&used * f64::INFINITY).sum(Kind::Float).backward();
        assert_eq!(opt.step_if_finite(0.1, 1.0), StepOutcome::Skipped);
        assert_eq!(used.double_value(&[0]), 1.0);
        opt.zero_grad();
        used.sum(Kind::Float).backward();
        assert_eq!(opt.step_if_finite(0.1, 1.0), StepOutcome::Applied);
        assert!((used.double_value(&[0]) - 0.9).abs() < 1e-6);
        assert_eq!(unused.double_value(&[1]), 1.0);
    }

    /// Backward writes into the flat gradient buffer itself, and one zeroing of it clears
    /// every parameter's gradient, a gradient computed before `Sgd::new` included.
    #[test]
    fn gradients_are_views_of_one_flat_buffer() {
        let vs = VarStore::new(Device::Cpu);
        let a = vs.root().var("a", &[2, 2], nn::Init::Const(1.0));
        let b = vs.root().var("b", &[3], nn::Init::Const(1.0));
        (&b * 5.0).sum(Kind::Float).backward();
        let mut opt = sgd(&vs, false, 0.0);
        assert_eq!(
            b.grad().double_value(&[0]),
            0.0,
            "the earlier gradient is zeroed"
        );
        ((&a * 2.0).sum(Kind::Float) + (&b * 3.0).sum(Kind::Float)).backward();
        let flat = Vec::<f32>::try_from(&opt.grads).unwrap();
        assert_eq!(flat, [2.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0]);
        opt.zero_grad();
        assert_eq!(a.grad().abs().sum(Kind::Float).double_value(&[]), 0.0);
        assert_eq!(b.grad().abs().sum(Kind::Float).double_value(&[]), 0.0);
        (&a * 4.0).sum(Kind::Float).backward();
        assert_eq!(a.grad().double_value(&[1, 1]), 4.0);
        assert_eq!(opt.grads.double_value(&[3]), 4.0);
    }

    #[test]
    fn buffers_round_trip_and_a_wrong_shape_is_refused() {
        let (vs, w) = one_param(1.0);
        let mut opt = sgd(&vs, false, 0.0);
        opt.zero_grad();
        w.sum(Kind::Float).backward();
        opt.step(0.1, 1.0);
        let saved = opt.named_buffers();
        let (vs2, _) = one_param(1.0);
        let mut fresh = sgd(&vs2, false, 0.0);
        fresh
            .load_buffers(Path::new("m.safetensors"), saved)
            .unwrap();
        assert_eq!(fresh.named_buffers()[0].1.double_value(&[0, 1]), 1.0);
        let bad = vec![(
            "w".to_string(),
            Tensor::zeros([3], (Kind::Float, Device::Cpu)),
        )];
        assert!(fresh
            .load_buffers(Path::new("m.safetensors"), bad)
            .unwrap_err()
            .to_string()
            .contains("shape"));
    }

    /// A channels-last weight keeps its layout in the flat buffer, and an update moves it
    /// exactly as it moves the same weight stored contiguously.
    #[test]
    fn channels_last_weights_keep_their_layout_and_step_like_contiguous_ones() {
        use crate::memory_format::{is_channels_last, to_channels_last};
        let step = |channels_last: bool| {
            let vs = VarStore::new(Device::Cpu);
            let mut w = vs.root().var("w", &[3, 2, 2, 2], nn::Init::Const(0.0));
            let values = Tensor::arange(24, (Kind::Float, Device::Cpu)).view([3, 2, 2, 2]);
            tch::no_grad(|| w.copy_(&values));
            if channels_last {
                to_channels_last(&vs);
            }
            let mut opt = sgd(&vs, true, 0.1);
            assert_eq!(is_channels_last(&w), channels_last, "{:?}", w.stride());
            assert_eq!(is_channels_last(&w.grad()), channels_last);
            for _ in 0..2 {
                opt.zero_grad();
                (&w * &w).sum(Kind::Float).backward();
                opt.step(0.01, 1.0);
            }
            assert_eq!(is_channels_last(&w), channels_last);
            w.detach().contiguous()
        };
        let (plain, nhwc) = (step(false), step(true));
        assert!(plain.allclose(&nhwc, 1e-6, 1e-6, false));
        assert!(
            plain.double_value(&[2, 1, 1, 1]) < 23.0,
            "the weights moved"
        );
    }
}
