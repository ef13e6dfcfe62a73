//! A small ResNet must be able to memorise one batch: the end-to-end check that forward,
//! backward, BN and initialisation fit together.

use deepskip_models::{ModelSpec, Network};
use tch::{nn, nn::ModuleT, nn::OptimizerConfig, Device, Kind, Tensor};

#[test]
fn resnet20_overfits_one_batch_of_random_images() {
    tch::manual_seed(0);
    let spec: ModelSpec = "resnet-20".parse().unwrap();
    let vs = nn::VarStore::new(Device::Cpu);
    let net = Network::new(&vs.root(), &spec).unwrap();
    // 16x16 instead of 32x32 keeps the test a few seconds on two cores; the network is the same.
    let images = Tensor::randn([32, 3, 16, 16], (Kind::Float, Device::Cpu));
    let labels = Tensor::randint(10, [32], (Kind::Int64, Device::Cpu));
    let mut opt = nn::Adam::default().build(&vs, 1e-2).unwrap();

    let loss_of = |net: &Network| {
        net.forward_t(&images, true)
            .cross_entropy_for_logits(&labels)
    };
    let initial = tch::no_grad(|| loss_of(&net)).double_value(&[]);
    let mut loss = initial;
    for _ in 0..300 {
        let l = loss_of(&net);
        opt.backward_step(&l);
        loss = l.double_value(&[]);
        if loss < 0.01 {
            break;
        }
    }
    assert!(
        initial > 1.5,
        "random labels should start near ln(10), got {initial}"
    );
    assert!(
        loss < 0.05,
        "loss after training: {loss} (started at {initial})"
    );
    let predicted = tch::no_grad(|| net.forward_t(&images, true)).argmax(1, false);
    assert_eq!(
        predicted
            .eq_tensor(&labels)
            .sum(Kind::Int64)
            .int64_value(&[]),
        32
    );
}
