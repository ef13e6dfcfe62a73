//! Per-layer weight magnitudes of a network at one step: the largest |w| of each kernel, the
//! range of its BN scale and shift, its largest running variance, and the norm of the
//! layer's gradient at that step.

use super::snapshots::GradientNorms;
use deepskip_models::LayerInfo;
use deepskip_spectra::onset_record::{LayerMagnitude, ValueRange};
use std::collections::HashMap;
use tch::nn::VarStore;
use tch::{Kind, Tensor};

/// One [`LayerMagnitude`] per layer of `layers`, read from the variables of `vs` by the
/// models crate's names: a layer `L`'s kernel is `L.conv.weight` (block convolutions) or
/// `L.weight` (the stem's `stem.conv` and the classifier), its BN the `bn` beside its `conv`.
pub fn layer_magnitudes(
    layers: &[LayerInfo],
    vs: &VarStore,
    gradients: Option<&GradientNorms>,
) -> Vec<LayerMagnitude> {
    let vars = vs.variables();
    tch::no_grad(|| {
        layers
            .iter()
            .filter_map(|info| {
                let names = LayerVariables::of(&info.name, &vars)?;
                Some(magnitude(info.index, &names, &vars, gradients))
            })
            .collect()
    })
}

/// The variable names of one weighted layer.
#[derive(Debug, PartialEq)]
struct LayerVariables {
    kernel: String,
    /// `<owner>.bn` when the layer has BN.
    bn: Option<String>,
    /// The classifier's bias.
    bias: Option<String>,
}

impl LayerVariables {
    fn of(layer: &str, vars: &HashMap<String, Tensor>) -> Option<LayerVariables> {
        let nested = format!("{layer}.conv.weight");
        let kernel = if vars.contains_key(&nested) {
            nested
        } else {
            format!("{layer}.weight")
        };
        if !vars.contains_key(&kernel) {
            return None;
        }
        let bn = kernel
            .strip_suffix(".conv.weight")
            .map(|owner| format!("{owner}.bn"))
            .filter(|bn| vars.contains_key(&format!("{bn}.weight")));
        let bias = kernel
            .strip_suffix(".weight")
            .map(|owner| format!("{owner}.bias"))
            .filter(|b| bn.is_none() && vars.contains_key(b));
        Some(LayerVariables { kernel, bn, bias })
    }

    /// The trainable variables whose gradients make up the layer's.
    fn trainable(&self) -> Vec<String> {
        let mut names = vec![self.kernel.clone()];
        if let Some(bn) = &self.bn {
            names.extend([format!("{bn}.weight"), format!("{bn}.bias")]);
        }
        names.extend(self.bias.clone());
        names
    }
}

fn magnitude(
    layer: usize,
    names: &LayerVariables,
    vars: &HashMap<String, Tensor>,
    gradients: Option<&GradientNorms>,
) -> LayerMagnitude {
    let get = |name: String| vars.get(&name).map(|t| t.to_kind(Kind::Double));
    let bn = |part: &str| names.bn.as_ref().and_then(|bn| get(format!("{bn}.{part}")));
    let (running_mean, running_var) = (bn("running_mean"), bn("running_var"));
    let running_finite = match (&running_mean, &running_var) {
        (Some(m), Some(v)) => Some(all_finite(m) && all_finite(v)),
        _ => None,
    };
    LayerMagnitude {
        layer,
        max_abs_weight: get(names.kernel.clone())
            .map(|w| w.abs().max().double_value(&[]))
            .unwrap_or(f64::NAN),
        bn_scale: bn("weight").as_ref().map(range),
        bn_shift: bn("bias").as_ref().map(range),
        running_var_max: running_var.as_ref().map(|v| v.max().double_value(&[])),
        running_finite,
        grad_norm: gradients.map(|g| layer_gradient_norm(names, g)),
    }
}

fn range(t: &Tensor) -> ValueRange {
    ValueRange {
        min: t.min().double_value(&[]),
        max: t.max().double_value(&[]),
    }
}

fn all_finite(t: &Tensor) -> bool {
    t.isfinite().all().int64_value(&[]) != 0
}

/// The L2 norm over the layer's trainable variables (NaN when one of them has no gradient).
fn layer_gradient_norm(names: &LayerVariables, gradients: &GradientNorms) -> f64 {
    names
        .trainable()
        .iter()
        .map(|n| gradients.get(n).copied().unwrap_or(f64::NAN))
        .map(|n| n * n)
        .sum::<f64>()
        .sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::nn;

    fn store() -> VarStore {
        let vs = VarStore::new(tch::Device::Cpu);
        let root = vs.root();
        let (stem, fc) = (&root / "stem", &root / "fc");
        let _ = (&stem / "conv").var("weight", &[2, 1, 3, 3], nn::Init::Const(-3.0));
        let bn = &stem / "bn";
        let _ = bn.var("weight", &[2], nn::Init::Const(0.5));
        let _ = bn.var("bias", &[2], nn::Init::Const(-0.25));
        let _ = bn.zeros_no_train("running_mean", &[2]);
        let mut var = bn.ones_no_train("running_var", &[2]);
        let _ = tch::no_grad(|| var.fill_(f64::INFINITY));
        let _ = fc.var("weight", &[3, 2], nn::Init::Const(2.0));
        let _ = fc.var("bias", &[3], nn::Init::Const(0.0));
        vs
    }

    fn layers() -> Vec<LayerInfo> {
        ["stem.conv", "fc"]
            .iter()
            .enumerate()
            .map(|(i, n)| LayerInfo {
                index: i + 1,
                name: n.to_string(),
            })
            .collect()
    }

    #[test]
    fn magnitudes_follow_the_models_variable_names() {
        let vs = store();
        let grads: GradientNorms = [
            ("stem.conv.weight", 3.0),
            ("stem.bn.weight", 4.0),
            ("stem.bn.bias", 12.0),
            ("fc.weight", 1.0),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .collect();
        let m = layer_magnitudes(&layers(), &vs, Some(&grads));
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].max_abs_weight, 3.0);
        assert_eq!(m[0].bn_scale, Some(ValueRange { min: 0.5, max: 0.5 }));
        assert_eq!(m[0].running_finite, Some(false));
        assert_eq!(m[0].running_var_max, Some(f64::INFINITY));
        assert_eq!(m[0].grad_norm, Some(13.0), "sqrt(9 + 16 + 144)");
        assert_eq!((m[1].layer, m[1].max_abs_weight), (2, 2.0));
        assert_eq!((m[1].bn_scale, m[1].running_finite), (None, None));
        // The classifier's bias has no gradient recorded here: its norm is unknown.
        assert!(m[1].grad_norm.unwrap().is_nan());
        assert!(layer_magnitudes(&layers(), &vs, None)[0]
            .grad_norm
            .is_none());
    }
}
