//! The analysis of a network whose layer-2 BN input overflows f32 (weights set by hand) marks
//! exactly that layer numerically dead (BN overflow), apart from being singular; the f64
//! forward pass of the same weights does not collapse there.

use deepskip_data::{ImageSet, ImageShape, Normalization};
use deepskip_models::{LayerSelection, ModelSpec, Network, Precision};
use deepskip_spectra::{ManyLayers, Tolerance};
use deepskip_study::analysis::{analyse_hidden, BnStatistics, ForwardPass};
use std::sync::Arc;
use tch::{nn, Device};

fn overflowing_plainnet() -> (nn::VarStore, Network) {
    let spec: ModelSpec = "plainnet-8".parse().unwrap();
    let spec = spec
        .with_width_multiplier(0.25)
        .unwrap()
        .with_input(1, 10)
        .unwrap();
    let vs = nn::VarStore::new(Device::Cpu);
    let net = Network::new(&vs.root(), &spec).unwrap();
    let vars = vs.variables();
    tch::no_grad(|| {
        let _ = vars["stem.bn.weight"].shallow_clone().fill_(1e11);
        let _ = vars["stage1.block1.conv1.conv.weight"]
            .shallow_clone()
            .g_mul_scalar_(1e11);
    });
    (vs, net)
}

fn samples() -> Arc<ImageSet> {
    let shape = ImageShape {
        channels: 1,
        height: 8,
        width: 8,
    };
    let images = (0..16 * 64u32).map(|i| (i * 37 % 251) as u8).collect();
    let labels = (0..16).map(|i| (i % 10) as u16).collect();
    Arc::new(ImageSet::new(images, labels, shape, 10).unwrap())
}

fn analyse(
    net: &Network,
    precision: Precision,
) -> Vec<deepskip_spectra::records::LayerConditionRow> {
    let samples = samples();
    let normalization = Normalization::from_images(&samples);
    let pass = ForwardPass {
        device: Device::Cpu,
        chunk: samples.len(),
        bn: BnStatistics::Batch,
        precision,
    };
    let many = ManyLayers::new().threads(1);
    analyse_hidden(
        net,
        samples,
        &normalization,
        pass,
        &LayerSelection::Only(vec![1, 2, 3]),
        &many,
        None,
    )
    .unwrap()
    .condition_rows(Tolerance::default())
    .unwrap()
}

#[test]
fn f32_analysis_marks_the_overflowed_layer_and_f64_does_not_collapse() {
    let (mut vs, net) = overflowing_plainnet();
    let rows = analyse(&net, Precision::F32);
    let dead: Vec<usize> = rows
        .iter()
        .filter(|r| r.bn_overflow)
        .map(|r| r.layer)
        .collect();
    assert_eq!(dead, vec![2]);
    let layer2 = &rows[1];
    assert!(layer2.rank <= 1, "every sample is the same: {layer2:?}");

    vs.set_kind(Precision::F64.kind());
    let rows = analyse(&net, Precision::F64);
    assert!(rows.iter().all(|r| !r.bn_overflow), "{rows:?}");
    assert!(
        rows[1].rank > 1,
        "layer 2 keeps more than one direction in f64: {:?}",
        rows[1]
    );
}
