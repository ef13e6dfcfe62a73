//! ModelSpec: parsing, validation, and parameter/layer arithmetic (nothing is built here).

use deepskip_models::{Family, InputKind, ModelError, ModelSpec, Shortcut};

fn spec(name: &str) -> ModelSpec {
    name.parse().unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn names_parse_to_the_paper_families() {
    let r = spec("resnet-164");
    assert_eq!(
        (r.family, r.depth, r.input),
        (Family::ResNet, 164, InputKind::SmallImage)
    );
    assert_eq!(
        (r.cardinality, r.bottleneck_width, r.shortcut),
        (1, 16, Shortcut::A)
    );
    assert_eq!((r.in_channels, r.num_classes), (3, 10));
    let x = spec("ResNeXt-164");
    assert_eq!(
        (x.family, x.cardinality, x.bottleneck_width, x.shortcut),
        (Family::ResNeXt, 4, 8, Shortcut::B)
    );
    assert_eq!(spec("plainnext-164").family, Family::PlainNeXt);
    let i = spec("resnext-101");
    assert_eq!(
        (i.input, i.cardinality, i.bottleneck_width, i.num_classes),
        (InputKind::ImageNet, 32, 4, 1000)
    );
    assert_eq!(spec("resnext-101-32x4d"), i);
    assert_eq!(spec("resnet-50").input, InputKind::ImageNet);
    assert_eq!(spec("cifar-resnet-50").input, InputKind::SmallImage);
    assert_eq!(spec("imagenet-plainnet-18").input, InputKind::ImageNet);
    assert_eq!(spec("resnet-110").input, InputKind::SmallImage);
}

#[test]
fn display_round_trips_through_parse() {
    for name in [
        "resnet-164",
        "plainnet-164",
        "resnext-164",
        "plainnext-164",
        "resnet-101",
        "resnext-101",
        "cifar-resnet-50",
        "resnext-50-64x4d",
        "resnet-20",
    ] {
        let s = spec(name);
        assert_eq!(s.to_string(), name);
        assert_eq!(spec(&s.to_string()), s);
    }
}

#[test]
fn serde_round_trips_and_validates() {
    let s = spec("resnext-164")
        .with_input(1, 10)
        .unwrap()
        .with_width_multiplier(0.5)
        .unwrap();
    let json = serde_json::to_string(&s).unwrap();
    let back: ModelSpec = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s);
    let broken = json.replace("\"depth\":164", "\"depth\":165");
    assert_ne!(broken, json);
    let err = serde_json::from_str::<ModelSpec>(&broken)
        .unwrap_err()
        .to_string();
    assert!(err.contains("9n+2"), "{err}");
}

#[test]
fn invalid_depth_says_which_depths_are_valid() {
    match "resnet-165".parse::<ModelSpec>() {
        Err(ModelError::InvalidDepth {
            family,
            depth,
            rule,
            valid_examples,
            ..
        }) => {
            assert_eq!((family, depth), (Family::ResNet, 165));
            assert!(rule.contains("6n+2"));
            assert!(
                valid_examples.contains("164") && valid_examples.contains("170"),
                "{valid_examples}"
            );
        }
        other => panic!("expected InvalidDepth, got {other:?}"),
    }
    let err = "resnext-165".parse::<ModelSpec>().unwrap_err();
    assert!(matches!(err, ModelError::InvalidDepth { rule, .. } if rule.contains("9n+2")));
    let err = "imagenet-resnext-34"
        .parse::<ModelSpec>()
        .unwrap_err()
        .to_string();
    assert!(err.contains("50, 101, 152"), "{err}");
    let err = "imagenet-resnet-20"
        .parse::<ModelSpec>()
        .unwrap_err()
        .to_string();
    assert!(err.contains("18, 34, 50, 101, 152"), "{err}");
    assert!(matches!(
        "resnet-2".parse::<ModelSpec>(),
        Err(ModelError::InvalidDepth { .. })
    ));
}

#[test]
fn malformed_names_and_values_are_rejected() {
    for bad in [
        "",
        "resnet",
        "densenet-121",
        "resnet-abc",
        "resnet-164-x",
        "resnext-101-32x4",
        "a-b-c-d-e",
    ] {
        assert!(
            matches!(
                bad.parse::<ModelSpec>(),
                Err(ModelError::UnknownModel { .. })
            ),
            "{bad}"
        );
    }
    let r = spec("resnet-20");
    assert!(matches!(
        r.clone().with_input(0, 10),
        Err(ModelError::InvalidInput { .. })
    ));
    assert!(matches!(
        r.clone().with_input(3, -1),
        Err(ModelError::InvalidInput { .. })
    ));
    for f in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            r.clone().with_width_multiplier(f),
            Err(ModelError::InvalidWidthMultiplier { .. })
        ));
    }
    assert!(matches!(
        r.with_grouping(4, 8),
        Err(ModelError::InvalidGrouping { .. })
    ));
    assert!(matches!(
        spec("resnext-29").with_grouping(0, 8),
        Err(ModelError::InvalidGrouping { .. })
    ));
}

// Hand arithmetic, a conv+BN unit costing out*(in/groups)*k*k + 2*out:
// ResNet-164 (n = 27), CIFAR-10: stem 16*3*9+32 = 464;
//   stage 1: 27 blocks * 2*(16*16*9+32) = 27*4672 = 126,144;
//   stage 2: (32*16*9+64) + (32*32*9+64) = 13,952, then 26 * 2*(9216+64) = 482,560;
//   stage 3: (64*32*9+128) + (64*64*9+128) = 55,552, then 26 * 2*(36864+128) = 1,923,584;
//   classifier 64*10+10 = 650; total 2,602,906. Option A has no parameters, so PlainNet-164 is
//   also 2,602,906. MNIST stem: 16*1*9+32, 288 fewer. CIFAR-100: +90*64+90 = +5,850.
//   Option B adds projections 16->32 (512+64) and 32->64 (2048+128): 2,605,658.
// ResNeXt-164 (n = 18, 4 groups, bottlenecks 32/64/128, outputs 64/128/256, stem 3->64):
//   stem 1728+128 = 1,856; stage 1: 18 * [(64*32+64) + (32*8*9+64) + (32*64+128)] = 18*6,656;
//   stage 2: 18 * [(128*64+128) + (64*16*9+128) + (64*128+256)] = 18*26,112, first block with
//   64 inputs (-4,096) and projection 64->128 (+8,192+256); stage 3: 18*103,424, first block
//   -16,384 and projection 128->256 (+32,768+512); classifier 2,570; total 2,477,130.
//   PlainNeXt-164 drops the two projections: 2,477,130 - 8,448 - 33,280 = 2,435,402.
// ImageNet (torchvision definitions, stride on the 3x3): ResNet-101 44,549,160, ResNeXt-101
//   32x4d 44,177,704, ResNet-50 25,557,032, ResNeXt-50 32x4d 25,028,904, ResNet-152 60,192,808
//   (torchvision's published counts); PlainNet-101 = ResNet-101 minus its four projections
//   (16,896 + 132,096 + 526,336 + 2,101,248 = 2,776,576): 41,772,584.
#[test]
fn parameter_counts_match_hand_arithmetic() {
    let cases: [(&str, u64); 14] = [
        ("resnet-164", 2_602_906),
        ("plainnet-164", 2_602_906),
        ("resnext-164", 2_477_130),
        ("plainnext-164", 2_435_402),
        ("resnet-20", 269_722),
        ("resnet-101", 44_549_160),
        ("plainnet-101", 41_772_584),
        ("resnext-101", 44_177_704),
        ("resnet-50", 25_557_032),
        ("resnext-50", 25_028_904),
        ("resnet-152", 60_192_808),
        ("resnet-18", 11_689_512),
        ("resnet-34", 21_797_672),
        ("plainnext-101", 41_401_128),
    ];
    for (name, expected) in cases {
        assert_eq!(spec(name).param_count(), expected, "{name}");
    }
    let mnist = spec("resnet-164").with_input(1, 10).unwrap();
    assert_eq!(mnist.param_count(), 2_602_618);
    assert_eq!(
        spec("resnet-164").with_input(3, 100).unwrap().param_count(),
        2_608_756
    );
    assert_eq!(
        spec("resnet-164").with_shortcut(Shortcut::B).param_count(),
        2_605_658
    );
}

#[test]
fn parameter_counts_are_within_five_percent_of_the_paper() {
    for (name, paper) in [
        ("resnet-164", 2.6e6),
        ("plainnet-164", 2.5e6),
        ("resnext-164", 2.5e6),
        ("resnet-101", 44.5e6),
        ("resnext-101", 44.2e6),
    ] {
        let ours = spec(name).param_count() as f64;
        assert!(
            (ours - paper).abs() / paper < 0.05,
            "{name}: {ours} vs paper {paper}"
        );
    }
}

#[test]
fn layer_counts_equal_the_depth_in_the_name() {
    for name in [
        "resnet-164",
        "plainnet-164",
        "resnext-164",
        "plainnext-164",
        "resnet-101",
        "resnext-101",
        "plainnet-101",
        "resnet-18",
        "resnet-34",
        "resnet-50",
        "resnet-152",
        "resnet-20",
        "resnext-29",
    ] {
        let s = spec(name);
        assert_eq!(s.layer_count(), s.depth, "{name}");
        let names = s.layer_names();
        assert_eq!(names.len(), s.depth, "{name}");
        assert_eq!(names.first().map(String::as_str), Some("stem.conv"));
        assert_eq!(names.last().map(String::as_str), Some("fc"));
    }
    let names = spec("resnet-164").layer_names();
    assert_eq!(names[1], "stage1.block1.conv1");
    assert_eq!(names[2], "stage1.block1.conv2");
    assert_eq!(names[55], "stage2.block1.conv1");
    assert_eq!(names[162], "stage3.block27.conv2");
}

#[test]
fn width_multiplier_scales_channels() {
    let half = spec("resnet-20").with_width_multiplier(0.5).unwrap();
    // Widths 8/16/32: stem 8*3*9+16, stage 1 3*2*(8*8*9+16), stage 2 (16*8*9+32)+(16*16*9+32)
    // + 2*2*(16*16*9+32), stage 3 (32*16*9+64)+(32*32*9+64) + 2*2*(32*32*9+64), fc 32*10+10.
    let expected = 232 + 3 * 2 * 592 + 1184 + 2336 + 4 * 2336 + 4672 + 9280 + 4 * 9280 + 330;
    assert_eq!(half.param_count(), expected as u64);
    assert_eq!(half.layer_count(), 20);
}
