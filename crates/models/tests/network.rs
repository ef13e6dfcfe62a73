//! Built networks: parameter counts of the VarStore, output shapes, initialisation, identical
//! PlainNet/ResNet weights, taps and per-layer weights.

use deepskip_models::{LayerSelection, ModelSpec, Network, Shortcut, Tap};
use std::convert::Infallible;
use std::sync::Mutex;
use tch::{nn, nn::ModuleT, Device, Kind, Tensor};

fn spec(name: &str) -> ModelSpec {
    name.parse().unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// libtorch's generator is global and tests run on parallel threads: seeding and initialising
/// must not interleave with any other draw, or "same seed" would not mean same weights.
static SEEDED_INIT: Mutex<()> = Mutex::new(());

/// A random input, drawn under the same lock as the seeded initialisations.
fn randn(shape: &[i64], device: Device) -> Tensor {
    let _guard = SEEDED_INIT.lock().unwrap_or_else(|e| e.into_inner());
    Tensor::randn(shape, (Kind::Float, device))
}

/// A pass whose tap consumer cannot fail.
fn taps_of(
    net: &Network,
    xs: &Tensor,
    train: bool,
    selection: &LayerSelection,
    on_tap: &mut dyn FnMut(Tap<'_>),
) -> Tensor {
    let Ok(logits) = net.forward_with_taps::<Infallible>(xs, train, selection, &mut |tap| {
        on_tap(tap);
        Ok(())
    });
    logits
}

fn build(spec: &ModelSpec, seed: i64) -> (nn::VarStore, Network) {
    let _guard = SEEDED_INIT.lock().unwrap_or_else(|e| e.into_inner());
    tch::manual_seed(seed);
    let vs = nn::VarStore::new(Device::Cpu);
    let net = Network::new(&vs.root(), spec).unwrap();
    (vs, net)
}

fn trainable_count(vs: &nn::VarStore) -> u64 {
    vs.trainable_variables()
        .iter()
        .map(|t| t.numel() as u64)
        .sum()
}

#[test]
fn built_parameter_counts_equal_the_arithmetic() {
    let names = [
        "resnet-164",
        "plainnet-164",
        "resnext-164",
        "plainnext-164",
        "resnet-101",
        "plainnet-101",
        "resnext-101",
        "resnet-18",
    ];
    for name in names {
        let s = spec(name);
        let (vs, net) = build(&s, 0);
        assert_eq!(trainable_count(&vs), s.param_count(), "{name}");
        assert_eq!(net.layers().len(), s.layer_count(), "{name}");
    }
    // The hard numbers (derivation in tests/spec.rs) once more against what was built.
    assert_eq!(trainable_count(&build(&spec("resnet-164"), 0).0), 2_602_906);
    assert_eq!(
        trainable_count(&build(&spec("resnext-164"), 0).0),
        2_477_130
    );
    let b = spec("resnet-164").with_shortcut(Shortcut::B);
    assert_eq!(trainable_count(&build(&b, 0).0), 2_605_658);
}

#[test]
fn output_shapes_for_mnist_cifar_and_imagenet_inputs() {
    let cases = [
        ("resnet-20", 1, 10, [2, 1, 28, 28]),
        ("plainnet-20", 3, 100, [2, 3, 32, 32]),
        ("resnext-29", 3, 10, [2, 3, 32, 32]),
        ("plainnext-29", 1, 10, [2, 1, 28, 28]),
        ("resnet-101", 3, 1000, [1, 3, 64, 64]),
        ("resnext-50", 3, 1000, [1, 3, 64, 64]),
        ("resnet-18", 3, 5, [1, 3, 64, 64]),
    ];
    for (name, channels, classes, input) in cases {
        let s = spec(name).with_input(channels, classes).unwrap();
        let (_vs, net) = build(&s, 1);
        let x = randn(&input, Device::Cpu);
        let y = tch::no_grad(|| net.forward_t(&x, false));
        assert_eq!(y.size(), vec![input[0], classes], "{name}");
        assert!(
            y.isfinite().all().int64_value(&[]) == 1,
            "{name}: non-finite logits"
        );
    }
}

#[test]
fn plain_and_residual_twins_have_identical_weights_for_the_same_seed() {
    let pairs = [
        (
            spec("resnet-164").with_input(1, 10).unwrap(),
            spec("plainnet-164").with_input(1, 10).unwrap(),
        ),
        (
            spec("resnet-164").with_shortcut(Shortcut::B),
            spec("plainnet-164"),
        ),
        (spec("resnext-164"), spec("plainnext-164")),
    ];
    for (residual, plain) in pairs {
        let (_a, r) = build(&residual, 7);
        let (_b, p) = build(&plain, 7);
        let (rw, pw) = (r.layer_weights(), p.layer_weights());
        assert_eq!(rw.len(), 164);
        assert_eq!(rw.len(), pw.len());
        for (a, b) in rw.iter().zip(&pw) {
            assert_eq!((a.index, &a.name), (b.index, &b.name));
            assert!(
                a.weight.equal(&b.weight),
                "{residual} vs {plain}: layer {} differs",
                a.name
            );
        }
    }
    // A different seed really gives different weights (so the equality above means something).
    let (_c, other) = build(&spec("resnet-164"), 8);
    let (_d, same) = build(&spec("resnet-164"), 7);
    assert!(!other.layer_weights()[5]
        .weight
        .equal(&same.layer_weights()[5].weight));
}

#[test]
fn initialisation_is_he_normal_fan_out_without_conv_bias() {
    let (vs, net) = build(&spec("resnext-164"), 3);
    let vars = vs.variables();
    assert!(
        !vars.keys().any(|k| k.contains(".conv.bias")),
        "convolutions must have no bias"
    );
    for (k, v) in &vars {
        if k.ends_with("bn.weight") {
            assert!(v.eq(1.0).all().int64_value(&[]) == 1, "{k} is not all ones");
        }
        if k.ends_with("bn.bias") {
            assert!(
                v.eq(0.0).all().int64_value(&[]) == 1,
                "{k} is not all zeros"
            );
        }
    }
    // stage3.block2.conv2: 128 -> 128 grouped 4, 3x3: fan_out = 128 * 9, std sqrt(2 / 1152).
    let w = &net.layer_weights()[net
        .layers()
        .iter()
        .position(|l| l.name == "stage3.block2.conv2")
        .unwrap()];
    assert_eq!(w.weight.size(), vec![128, 32, 3, 3]);
    let std = w.weight.std(true).double_value(&[]);
    let expected = (2.0f64 / 1152.0).sqrt();
    assert!(
        (std - expected).abs() / expected < 0.05,
        "std {std} vs {expected}"
    );
    assert!(w.weight.mean(Kind::Float).double_value(&[]).abs() < 0.1 * expected);
}

#[test]
fn taps_stream_every_weighted_layer_with_documented_shapes() {
    let s = spec("resnet-20").with_input(1, 10).unwrap();
    let (_vs, net) = build(&s, 2);
    let x = randn(&[3, 1, 28, 28], Device::Cpu);
    let mut seen = Vec::new();
    let logits = tch::no_grad(|| {
        taps_of(&net, &x, false, &LayerSelection::All, &mut |tap| {
            seen.push((tap.index, tap.name.to_string(), tap.output.size()))
        })
    });
    assert_eq!(seen.len(), 20);
    assert_eq!(
        seen.iter().map(|t| t.0).collect::<Vec<_>>(),
        (1..=20).collect::<Vec<_>>()
    );
    for (i, name, shape) in &seen {
        let expected: Vec<i64> = match i {
            1..=7 => vec![3, 16, 28, 28],
            8..=13 => vec![3, 32, 14, 14],
            14..=19 => vec![3, 64, 7, 7],
            _ => vec![3, 10],
        };
        assert_eq!(shape, &expected, "layer {i} {name}");
        assert_eq!(name, &net.layers()[i - 1].name);
    }
    assert_eq!(seen[19].1, "fc");
    assert_eq!(logits.size(), vec![3, 10]);
}

#[test]
fn taps_follow_the_documented_definitions() {
    let s = spec("resnet-20");
    let (_vs, net) = build(&s, 4);
    let x = randn(&[2, 3, 32, 32], Device::Cpu);
    let mut outs: Vec<Tensor> = Vec::new();
    let logits = tch::no_grad(|| {
        taps_of(&net, &x, false, &LayerSelection::All, &mut |tap| {
            outs.push(tap.output.copy())
        })
    });
    // Every conv tap is after a ReLU; the classifier tap is the logits themselves.
    for t in &outs[..19] {
        assert!(t.ge(0.0).all().int64_value(&[]) == 1);
    }
    assert!(outs[19].equal(&logits));
    // A tapped pass computes the same logits as the untapped one.
    let untapped = tch::no_grad(|| net.forward_t(&x, false));
    assert!(untapped.allclose(&logits, 1e-6, 1e-6, false));

    // Layer 3 (stage1.block1.conv2) is the block output relu(bn(conv2) + x). The PlainNet twin
    // (same seed, same weights) taps relu(bn(conv2)); where that is positive, the ResNet tap
    // must be exactly it plus the block input (the stem tap, layer 1), which is non-negative.
    let (_pvs, plain) = build(&spec("plainnet-20"), 4);
    let mut plain_outs: Vec<Tensor> = Vec::new();
    let sel = LayerSelection::Only(vec![1, 2, 3]);
    let _ = tch::no_grad(|| {
        taps_of(&plain, &x, false, &sel, &mut |tap| {
            plain_outs.push(tap.output.copy())
        })
    });
    assert!(plain_outs[0].equal(&outs[0]) && plain_outs[1].equal(&outs[1]));
    let mask = plain_outs[2].gt(0.0);
    assert!(mask.sum(Kind::Int64).int64_value(&[]) > 0);
    let expected = (&plain_outs[2] + &outs[0]).masked_select(&mask);
    assert!(outs[2]
        .masked_select(&mask)
        .allclose(&expected, 1e-5, 1e-5, false));
    assert!(!outs[2].allclose(&plain_outs[2], 1e-3, 1e-3, false));
}

#[test]
fn selection_returns_only_the_chosen_layers() {
    let s = spec("resnext-29");
    let (_vs, net) = build(&s, 5);
    let x = randn(&[2, 3, 32, 32], Device::Cpu);
    let chosen = vec![29, 1, 12, 11];
    let selection = LayerSelection::Only(chosen.clone());
    selection.validate(s.layer_count()).unwrap();
    let mut seen = Vec::new();
    let _ = tch::no_grad(|| {
        taps_of(&net, &x, false, &selection, &mut |t| {
            seen.push((t.index, t.output.size()))
        })
    });
    // Forward order; ResNeXt-29: 1 stem + 9 convs per stage, so 11 and 12 are stage2.block1.conv1/2
    // (bottleneck width 4 x 16 = 64, stride 2 on the 3x3).
    assert_eq!(
        seen,
        vec![
            (1, vec![2, 64, 32, 32]),
            (11, vec![2, 64, 32, 32]),
            (12, vec![2, 64, 16, 16]),
            (29, vec![2, 10])
        ]
    );
    assert!(LayerSelection::Only(vec![30]).validate(29).is_err());
    assert!(LayerSelection::Only(vec![0]).validate(29).is_err());
}

#[test]
fn imagenet_taps_at_small_input() {
    let s = spec("resnet-50");
    let (_vs, net) = build(&s, 6);
    let x = randn(&[1, 3, 64, 64], Device::Cpu);
    let mut seen = Vec::new();
    let sel = LayerSelection::Only(vec![1, 2, 3, 4, 50]);
    let _ = tch::no_grad(|| {
        taps_of(&net, &x, false, &sel, &mut |t| {
            seen.push((t.name.to_string(), t.output.size()))
        })
    });
    let expected: Vec<(String, Vec<i64>)> = vec![
        ("stem.conv".into(), vec![1, 64, 16, 16]),
        ("stage1.block1.conv1".into(), vec![1, 64, 16, 16]),
        ("stage1.block1.conv2".into(), vec![1, 64, 16, 16]),
        ("stage1.block1.conv3".into(), vec![1, 256, 16, 16]),
        ("fc".into(), vec![1, 1000]),
    ];
    assert_eq!(seen, expected);
}

#[test]
fn layer_weights_match_layers_and_share_storage() {
    let (vs, net) = build(&spec("resnext-29"), 9);
    let weights = net.layer_weights();
    assert_eq!(weights.len(), 29);
    assert_eq!(weights[0].weight.size(), vec![64, 3, 3, 3]);
    assert_eq!(weights[2].weight.size(), vec![32, 8, 3, 3]);
    assert_eq!(weights[28].weight.size(), vec![10, 256]);
    // Only the 3x3 convolution of each bottleneck is grouped (cardinality 4).
    let groups: Vec<usize> = weights[..5].iter().map(|w| w.groups).collect();
    assert_eq!(groups, vec![1, 1, 4, 1, 1]);
    assert_eq!(weights[28].groups, 1);
    for (w, l) in weights.iter().zip(net.layers()) {
        assert_eq!((w.index, &w.name), (l.index, &l.name));
    }
    let stored = &vs.variables()["fc.weight"];
    assert_eq!(weights[28].weight.data_ptr(), stored.data_ptr());
}

#[test]
fn cuda_forward_with_taps_and_autocast_when_a_gpu_is_present() {
    if !tch::Cuda::is_available() {
        // The GPU check (scripts/gpu-check.sh) sets this: there a missing GPU is a failure.
        assert!(
            std::env::var("DEEPSKIP_REQUIRE_CUDA").as_deref() != Ok("1"),
            "DEEPSKIP_REQUIRE_CUDA=1 but libtorch sees no CUDA device"
        );
        eprintln!("skipped: no CUDA device (this test runs on GPU machines)");
        return;
    }
    assert!(deepskip_models::enable_cudnn_benchmark());
    let s = spec("resnext-29");
    let _guard = SEEDED_INIT.lock().unwrap_or_else(|e| e.into_inner());
    let vs = nn::VarStore::new(Device::Cuda(0));
    let net = Network::new(&vs.root(), &s).unwrap();
    let x = Tensor::randn([4, 3, 32, 32], (Kind::Float, Device::Cuda(0)));
    let mut devices = Vec::new();
    let logits = tch::no_grad(|| {
        taps_of(&net, &x, false, &LayerSelection::All, &mut |t| {
            devices.push(t.output.device())
        })
    });
    assert_eq!(devices, vec![Device::Cuda(0); 29]);
    assert_eq!(logits.size(), vec![4, 10]);
    let half = tch::autocast(true, || tch::no_grad(|| net.forward_t(&x, false)));
    assert_eq!(half.kind(), Kind::Half);
    assert!(half
        .to_kind(Kind::Float)
        .allclose(&logits, 5e-2, 5e-2, false));
}

/// Option A at ResNet-20's first stage transition (`stage2.block1`, 16 -> 32 channels, stride
/// 2): the block output is `relu(bn(conv2(h)) + pad(x[:, :, ::2, ::2]))`, with `x` the block
/// input (layer 7), `h` its first conv's output (layer 8) and the 16 zero channels appended
/// after the input's. Recomputed here from the block's own variables, in eval mode.
#[test]
fn the_option_a_shortcut_subsamples_at_phase_zero_and_appends_zero_channels() {
    let s = spec("resnet-20");
    assert_eq!(s.shortcut, Shortcut::A);
    let (vs, net) = build(&s, 6);
    let x = randn(&[2, 3, 32, 32], Device::Cpu);
    let mut taps: Vec<Tensor> = Vec::new();
    let sel = LayerSelection::Only(vec![7, 8, 9]);
    let _ = tch::no_grad(|| {
        taps_of(&net, &x, false, &sel, &mut |tap| {
            taps.push(tap.output.copy())
        })
    });
    assert_eq!(net.layers()[8].name, "stage2.block1.conv2");
    let (input, inner, output) = (&taps[0], &taps[1], &taps[2]);
    assert_eq!(input.size(), [2, 16, 32, 32]);
    assert_eq!(output.size(), [2, 32, 16, 16]);

    let vars = vs.variables();
    let var = |name: &str| &vars[&format!("stage2.block1.conv2.{name}")];
    let main = tch::no_grad(|| {
        inner
            .conv2d(
                var("conv.weight"),
                None::<Tensor>,
                [1, 1],
                [1, 1],
                [1, 1],
                1,
            )
            .batch_norm(
                Some(var("bn.weight")),
                Some(var("bn.bias")),
                Some(var("bn.running_mean")),
                Some(var("bn.running_var")),
                false,
                0.1,
                1e-5,
                false,
            )
    });
    let subsampled = input.slice(2, 0, None, 2).slice(3, 0, None, 2);
    let kept = output.narrow(1, 0, 16);
    let expected_kept = (main.narrow(1, 0, 16) + &subsampled).relu();
    assert!(
        kept.allclose(&expected_kept, 1e-5, 1e-5, false),
        "channels 0..16 are not relu(bn(conv2) + x[:, :, ::2, ::2])"
    );
    let new = output.narrow(1, 16, 16);
    assert!(
        new.allclose(&main.narrow(1, 16, 16).relu(), 1e-5, 1e-5, false),
        "channels 16..32 are not relu(bn(conv2)) alone: the zero channels are elsewhere"
    );
    // The other subsampling phase would give another answer: the check above pins it.
    let odd = input.slice(2, 1, None, 2).slice(3, 1, None, 2);
    assert!(!(main.narrow(1, 0, 16) + odd)
        .relu()
        .allclose(&expected_kept, 1e-3, 1e-3, false));
}

#[test]
fn a_failing_tap_consumer_stops_the_pass_at_its_layer() {
    let s = spec("plainnet-20").with_input(1, 10).unwrap();
    let (_vs, net) = build(&s, 3);
    let x = randn(&[2, 1, 28, 28], Device::Cpu);
    let mut seen = Vec::new();
    let result = tch::no_grad(|| {
        net.forward_with_taps(&x, false, &LayerSelection::All, &mut |tap| {
            seen.push(tap.index);
            if tap.index == 3 {
                Err(format!("consumer failed at layer {}", tap.index))
            } else {
                Ok(())
            }
        })
    });
    assert_eq!(result.unwrap_err(), "consumer failed at layer 3");
    assert_eq!(
        seen,
        vec![1, 2, 3],
        "no layer after the failing one is computed"
    );
}
