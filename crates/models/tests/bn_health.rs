//! BN health: a network whose layer-2 BN input overflows f32 statistics (weights set by hand,
//! as the quick-profile PlainNet-164's first updates set them) is reported numerically dead at
//! exactly that layer, its f32 output there is the same for every sample, and neither the f64
//! network nor f32 with f64 BN statistics collapses.

use deepskip_models::{BnStats, BnWatch, LayerSelection, ModelSpec, Network, Precision};
use tch::{nn, Device, Kind, Tensor};

/// PlainNet-8 at width x0.25 for 1-channel images and 10 classes, freshly initialised.
fn small_plainnet() -> (nn::VarStore, Network) {
    let spec: ModelSpec = "plainnet-8".parse().unwrap();
    let spec = spec
        .with_width_multiplier(0.25)
        .unwrap()
        .with_input(1, 10)
        .unwrap();
    let vs = nn::VarStore::new(Device::Cpu);
    let net = Network::new(&vs.root(), &spec).unwrap();
    (vs, net)
}

/// PlainNet-8 on 1-channel 8x8 images; its stem BN scale and layer 2's conv weights blown up
/// so that layer 2's BN input is about 1e22 (batch variance ~1e44: past f32, far inside f64).
fn overflowing_plainnet() -> (nn::VarStore, Network) {
    let (vs, net) = small_plainnet();
    let vars = vs.variables();
    tch::no_grad(|| {
        let _ = vars["stem.bn.weight"].shallow_clone().fill_(1e11);
        let _ = vars["stage1.block1.conv1.conv.weight"]
            .shallow_clone()
            .g_mul_scalar_(1e11);
    });
    (vs, net)
}

/// 16 different, deterministic images.
fn images(kind: Kind) -> Tensor {
    (Tensor::arange(16 * 64, (Kind::Double, Device::Cpu)) * 0.37)
        .sin()
        .reshape([16, 1, 8, 8])
        .to_kind(kind)
}

/// Dead layers of one train-mode pass, and layer 2's output spread across the samples.
fn watched_pass(net: &Network, xs: &Tensor) -> (Vec<usize>, f64) {
    let watch = BnWatch::new();
    let mut spread = f64::NAN;
    let _logits = tch::no_grad(|| {
        net.forward_watched::<std::convert::Infallible>(
            xs,
            true,
            &LayerSelection::Only(vec![2]),
            &mut |tap| {
                let flat = tap.output.to_kind(Kind::Double).flatten(1, -1);
                spread = (&flat - flat.get(0)).abs().max().double_value(&[]);
                Ok(())
            },
            &watch,
        )
    });
    (watch.dead_layers(net.layers().len()), spread)
}

#[test]
fn f32_statistics_overflow_at_layer_2_and_its_output_ignores_the_input() {
    let (_vs, net) = overflowing_plainnet();
    let (dead, spread) = watched_pass(&net, &images(Kind::Float));
    assert_eq!(dead, vec![2], "only layer 2's BN overflows");
    assert_eq!(spread, 0.0, "every sample has the same layer-2 output");
}

/// No dead layer, and layer 2's output differs between samples.
fn assert_alive(net: &Network, xs: &Tensor) {
    let (dead, spread) = watched_pass(net, xs);
    assert!(dead.is_empty(), "dead layers: {dead:?}");
    assert!(
        spread > 0.1,
        "layer 2 depends on the input (spread {spread})"
    );
}

#[test]
fn the_same_weights_in_f64_keep_layer_2_alive() {
    let (mut vs, net) = overflowing_plainnet();
    vs.set_kind(Precision::F64.kind());
    assert_alive(&net, &images(Kind::Double));
}

#[test]
fn f64_bn_statistics_keep_an_f32_network_alive() {
    let (_vs, net) = overflowing_plainnet();
    assert_alive(&net.with_bn_stats(BnStats::F64), &images(Kind::Float));
}

/// An eval-mode pass with no tap consumer, watched.
fn eval_watched(net: &Network, xs: &Tensor, watch: &BnWatch) -> Tensor {
    let Ok(logits) = tch::no_grad(|| {
        net.forward_watched::<std::convert::Infallible>(
            xs,
            false,
            &LayerSelection::All,
            &mut |_| Ok(()),
            watch,
        )
    });
    logits
}

#[test]
fn eval_mode_reports_running_statistics_that_overflowed() {
    let (_vs, net) = overflowing_plainnet();
    let xs = images(Kind::Float);
    watched_pass(&net, &xs); // a train-mode pass updates the running statistics
    let watch = BnWatch::new();
    let _logits = eval_watched(&net, &xs, &watch);
    assert!(watch.dead_layers(net.layers().len()).contains(&2));
}

#[test]
fn a_healthy_network_reports_nothing_and_unwatched_passes_match_watched_ones() {
    let (_vs, net) = small_plainnet();
    let xs = images(Kind::Float);
    let watch = BnWatch::new();
    let watched = eval_watched(&net, &xs, &watch);
    let plain = tch::no_grad(|| {
        net.forward_with_taps(&xs, false, &LayerSelection::All, &mut |_| Ok::<(), ()>(()))
            .unwrap()
    });
    assert!(watch.dead_layers(net.layers().len()).is_empty());
    assert_eq!(watched, plain);
}
