//! SGD with momentum and weight decay, written out on the VarStore's tensors so that the
//! momentum buffers are plain named tensors a checkpoint can save and restore exactly (tch's
//! `nn::Sgd` keeps them inside libtorch, out of reach).
//!
//! The update is PyTorch's `torch.optim.SGD` (dampening 0):
//! `g = grad + wd * w; buf = m * buf + g; d = nesterov ? g + m * buf : buf; w -= lr * d`.

use crate::{StepOutcome, TrainError};
use tch::nn::VarStore;
use tch::Tensor;

/// Hyper-parameters of [`Sgd`] other than the learning rate, which changes every step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdOptions {
    pub momentum: f64,
    pub nesterov: bool,
    pub weight_decay: f64,
    /// Apply weight decay to 1-D parameters (BN scales/shifts, biases) too.
    pub decay_bn_and_bias: bool,
}

/// One trainable parameter and its momentum buffer.
#[derive(Debug)]
struct Slot {
    name: String,
    param: Tensor,
    buffer: Tensor,
    decays: bool,
}

/// Momentum SGD over every trainable variable of a VarStore.
#[derive(Debug)]
pub struct Sgd {
    slots: Vec<Slot>,
    options: SgdOptions,
}

impl Sgd {
    /// Takes the trainable variables of `vs` (sorted by name, so buffers have a stable order),
    /// with zero momentum buffers (equal to PyTorch's first-step `buf = g`).
    pub fn new(vs: &VarStore, options: SgdOptions) -> Self {
        let mut named: Vec<(String, Tensor)> = vs
            .variables()
            .into_iter()
            .filter(|(_, t)| t.requires_grad())
            .collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        let slots = named
            .into_iter()
            .map(|(name, param)| Slot {
                buffer: param.zeros_like().detach(),
                decays: options.decay_bn_and_bias || param.dim() > 1,
                name,
                param,
            })
            .collect();
        Self { slots, options }
    }

    /// Sets every parameter's gradient to zero before a backward pass.
    pub fn zero_grad(&mut self) {
        for slot in &mut self.slots {
            let mut grad = slot.param.grad();
            if grad.defined() {
                let _ = grad.detach_().zero_();
            }
        }
    }

    /// Applies one update with learning rate `lr` to the gradients of the last backward pass,
    /// divided by `grad_scale` (1 unless mixed precision scaled the loss).
    pub fn step(&mut self, lr: f64, grad_scale: f64) {
        let SgdOptions {
            momentum,
            nesterov,
            weight_decay,
            ..
        } = self.options;
        tch::no_grad(|| {
            for slot in &mut self.slots {
                let raw = slot.param.grad();
                if !raw.defined() {
                    continue;
                }
                let mut g = if grad_scale == 1.0 {
                    raw.shallow_clone()
                } else {
                    &raw / grad_scale
                };
                if slot.decays && weight_decay != 0.0 {
                    g += &slot.param * weight_decay;
                }
                let _ = slot.buffer.g_mul_scalar_(momentum).g_add_(&g);
                let direction = if nesterov {
                    g + &slot.buffer * momentum
                } else {
                    slot.buffer.shallow_clone()
                };
                let _ = slot.param.g_sub_(&(direction * lr));
            }
        });
    }

    /// Steps as [`Sgd::step`] when every gradient of the last backward pass is finite, and
    /// otherwise leaves weights and momentum untouched; says which it did.
    pub fn step_if_finite(&mut self, lr: f64, grad_scale: f64) -> StepOutcome {
        let outcome = StepOutcome::from_grads_finite(self.grads_finite());
        if outcome == StepOutcome::Applied {
            self.step(lr, grad_scale);
        }
        outcome
    }

    /// Whether every gradient of the last backward pass is finite (one device sync).
    pub fn grads_finite(&self) -> bool {
        let checks: Vec<Tensor> = self
            .slots
            .iter()
            .map(|s| s.param.grad())
            .filter(Tensor::defined)
            .map(|g| g.isfinite().all())
            .collect();
        checks.is_empty() || Tensor::stack(&checks, 0).all().int64_value(&[]) != 0
    }

    /// The momentum buffers by parameter name, for a checkpoint.
    pub fn named_buffers(&self) -> Vec<(String, Tensor)> {
        self.slots
            .iter()
            .map(|s| (s.name.clone(), s.buffer.shallow_clone()))
            .collect()
    }

    /// Restores momentum buffers saved by [`Sgd::named_buffers`]; every parameter must have one
    /// of its shape.
    pub fn load_buffers(&mut self, saved: Vec<(String, Tensor)>) -> Result<(), TrainError> {
        let mut saved: std::collections::HashMap<String, Tensor> = saved.into_iter().collect();
        for slot in &mut self.slots {
            let src = saved
                .remove(&slot.name)
                .ok_or_else(|| missing(format!("no momentum buffer for {}", slot.name)))?;
            if src.size() != slot.buffer.size() {
                return Err(missing(format!(
                    "momentum buffer {} has shape {:?}, the model expects {:?}",
                    slot.name,
                    src.size(),
                    slot.buffer.size()
                )));
            }
            tch::no_grad(|| slot.buffer.f_copy_(&src))
                .map_err(TrainError::torch("restoring momentum buffers"))?;
        }
        if let Some(extra) = saved.keys().next() {
            return Err(missing(format!(
                "momentum buffer {extra} matches no parameter of this model"
            )));
        }
        Ok(())
    }
}

fn missing(reason: String) -> TrainError {
    TrainError::BadCheckpoint {
        path: "momentum buffers".into(),
        reason,
    }
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
        fresh.load_buffers(saved).unwrap();
        assert_eq!(fresh.named_buffers()[0].1.double_value(&[0, 1]), 1.0);
        let bad = vec![(
            "w".to_string(),
            Tensor::zeros([3], (Kind::Float, Device::Cpu)),
        )];
        assert!(fresh
            .load_buffers(bad)
            .unwrap_err()
            .to_string()
            .contains("shape"));
    }
}
