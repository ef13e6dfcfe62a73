//! `deepskip train --dataset imagenet:<dir>` on a generated ImageNet-layout fixture (four
//! classes of small JPEGs): the ImageNet recipe is recorded and top-1 and top-5 accuracy are
//! written, with ResNet-18 at 32x32 crops for one step on the CPU.

use deepskip_runs::schema::EpochMetrics;
use std::fs;
use std::process::Command;

mod support;

#[test]
fn train_on_imagenet_folders_records_the_recipe_and_top5() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("imagenet");
    for class in 0..4 {
        support::write_jpeg(&root.join(format!("train/n0{class}/a.JPEG")), 60, 48, class);
        support::write_jpeg(&root.join(format!("val/n0{class}/v.JPEG")), 50, 40, class);
    }
    let out = tmp.path().join("run");
    let output = Command::new(env!("CARGO_BIN_EXE_deepskip"))
        .args(["train", "--model", "resnet-18", "--device", "cpu"])
        .arg("--dataset")
        .arg(format!("imagenet:{}", root.display()))
        .args([
            "--batch-size",
            "2",
            "--epochs",
            "1",
            "--steps-per-epoch",
            "1",
        ])
        .args(["--image-size", "32", "--out"])
        .arg(&out)
        .output()
        .expect("run deepskip");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");

    let config: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("config.json")).expect("config.json"))
            .expect("config JSON");
    assert_eq!(config["schedule"]["kind"], "step_every", "{config}");
    assert_eq!(
        config["lr"],
        0.1 * 2.0 / 256.0,
        "linear scaling from 0.1 per 256"
    );
    assert_eq!(config["warmup"], serde_json::Value::Null);
    assert_eq!(config["image_size"], 32);
    let text = fs::read_to_string(out.join("metrics.jsonl")).expect("metrics.jsonl");
    let metrics: EpochMetrics = serde_json::from_str(text.trim()).expect("one epoch");
    assert_eq!((metrics.epoch, metrics.step), (1, 1));
    assert!(metrics.train_loss.is_finite());
    let top5 = metrics.test_top5.expect("ImageNet records top-5");
    assert_eq!(top5, 1.0, "four classes are always within the top 5");
}
