//! Delta-orthogonal initialisation (Xiao et al. 2018): orthogonal centre taps, zeros elsewhere,
//! and a deep plain network that keeps its input's norm better than under He initialisation.

use deepskip_models::{delta_orthogonal_kernel, Init, LayerSelection, ModelSpec, Network};
use std::sync::Mutex;
use tch::{nn, Device, Kind, Tensor};

/// libtorch's generator is global and tests run on parallel threads.
static SEEDED: Mutex<()> = Mutex::new(());

fn seeded<T>(seed: i64, f: impl FnOnce() -> T) -> T {
    let _guard = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    tch::manual_seed(seed);
    f()
}

/// The largest entry of `|a - b|`.
fn max_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a - b).abs().max().double_value(&[])
}

/// Checks that `kernel` ([out, in/groups, k, k]) is zero off its centre and that each group's
/// centre block is `gain` times a (semi-)orthogonal matrix.
fn assert_delta_orthogonal(kernel: &Tensor, groups: i64, gain: f64) {
    let size = kernel.size();
    let (c_out, c_in, kh, kw) = (size[0], size[1], size[2], size[3]);
    let centre = kernel
        .narrow(2, kh / 2, 1)
        .narrow(3, kw / 2, 1)
        .view([c_out, c_in]);
    let off_centre = kernel.copy();
    let _centre = off_centre
        .narrow(2, kh / 2, 1)
        .narrow(3, kw / 2, 1)
        .fill_(0.0);
    assert_eq!(
        off_centre.abs().max().double_value(&[]),
        0.0,
        "zeros off the centre"
    );
    let rows = c_out / groups;
    for g in 0..groups {
        let block = centre.narrow(0, g * rows, rows).to_kind(Kind::Double) / gain;
        let gram = if rows >= c_in {
            block.transpose(0, 1).matmul(&block)
        } else {
            block.matmul(&block.transpose(0, 1))
        };
        let n = gram.size()[0];
        let eye = Tensor::eye(n, (Kind::Double, Device::Cpu));
        assert!(
            max_diff(&gram, &eye) < 1e-5,
            "group {g} of {size:?}: {gram}"
        );
    }
}

#[test]
fn the_centre_tap_is_orthogonal_and_every_other_tap_zero() {
    for (size, groups) in [
        ([16, 16, 3, 3], 1),
        ([32, 16, 3, 3], 1),
        ([16, 32, 3, 3], 1),
        ([8, 2, 3, 3], 4),
        ([64, 32, 1, 1], 1),
    ] {
        let kernel = seeded(1, || delta_orthogonal_kernel(&size, groups as usize, 1.5));
        assert_eq!(kernel.size(), size);
        assert_delta_orthogonal(&kernel, groups, 1.5);
    }
}

fn build(name: &str, init: Init, seed: i64) -> (nn::VarStore, Network) {
    let spec: ModelSpec = name.parse().unwrap();
    let spec = spec.with_init(init);
    seeded(seed, || {
        let vs = nn::VarStore::new(Device::Cpu);
        let net = Network::new(&vs.root(), &spec).unwrap();
        (vs, net)
    })
}

#[test]
fn every_convolution_of_a_delta_orthogonal_network_is_delta_orthogonal() {
    for name in ["plainnet-14", "resnext-11"] {
        let (_vs, net) = build(name, Init::DeltaOrthogonal, 3);
        let convs: Vec<_> = net
            .layer_weights()
            .into_iter()
            .filter(|w| w.weight.dim() == 4)
            .collect();
        assert!(!convs.is_empty());
        for w in convs {
            assert_delta_orthogonal(&w.weight, w.groups as i64, std::f64::consts::SQRT_2);
        }
        // He initialisation draws every tap.
        let (_vs, he) = build(name, Init::He, 3);
        let first = &he.layer_weights()[1].weight;
        assert!(
            first
                .narrow(2, 0, 1)
                .abs()
                .sum(Kind::Double)
                .double_value(&[])
                > 0.0
        );
    }
}

/// How far the per-pixel norm of the hidden representations strays from the first layer's, as
/// the largest |ln(norm_l / norm_1)| over the hidden layers of a fresh network (eval mode: at
/// initialisation BN is the identity, so the convolutions and ReLUs alone set the norms).
fn norm_drift(init: Init, seed: i64) -> f64 {
    let (_vs, net) = build("plainnet-110", init, seed);
    let input = seeded(1000 + seed, || {
        Tensor::randn([4, 3, 32, 32], (Kind::Float, Device::Cpu))
    });
    let last = net.layers().len();
    let mut norms: Vec<f64> = Vec::new();
    let _no_grad = tch::no_grad_guard();
    let _logits = net.forward_with_taps(&input, false, &LayerSelection::All, &mut |tap| {
        if tap.index < last {
            let size = tap.output.size();
            let pixels = (size[0] * size[2] * size[3]) as f64;
            let norm = tap.output.to_kind(Kind::Double).norm().double_value(&[]);
            norms.push(norm / pixels.sqrt());
        }
        Ok::<(), std::convert::Infallible>(())
    });
    norms
        .iter()
        .map(|n| (n / norms[0]).ln().abs())
        .fold(0.0, f64::max)
}

#[test]
fn a_deep_plain_network_keeps_its_inputs_norm_better_under_delta_orthogonal_init() {
    for seed in 0..3 {
        let (he, delta) = (
            norm_drift(Init::He, seed),
            norm_drift(Init::DeltaOrthogonal, seed),
        );
        assert!(delta.is_finite() && he.is_finite());
        assert!(
            delta < he,
            "seed {seed}: drift {delta} (delta-orthogonal) vs {he} (He)"
        );
    }
}

#[test]
fn init_names_parse_and_print_the_same() {
    for init in Init::ALL {
        assert_eq!(init.name().parse::<Init>().unwrap(), init);
    }
    assert_eq!(Init::default(), Init::He);
    let err = "orthogonal".parse::<Init>().unwrap_err().to_string();
    assert!(err.contains("he or delta-orthogonal"), "{err}");
}
