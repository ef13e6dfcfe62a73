//! A few training steps of ResNet-101 (64x64 crops) on a generated ImageNet-layout fixture:
//! six classes of JPEGs of different sizes and one truncated file (skipped if drawn), on the
//! CPU: one step of 2 images per epoch, two epochs.

use deepskip_runs::schema::RunState;
use deepskip_train::{train_from, ImagenetFolders, MetricsLog, RunOptions, TrainConfig};
use image::{ImageFormat, RgbImage};
use std::path::Path;

const CLASSES: u32 = 6;

/// Class `c` is a picture with a colour gradient of its own, so the classes differ.
fn jpeg(width: u32, height: u32, class: u32) -> Vec<u8> {
    let picture = RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            ((x * 255 / width + class * 40) % 256) as u8,
            ((y * 255 / height) ^ (class * 30)) as u8,
            (class * 255 / CLASSES) as u8,
        ])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut bytes, ImageFormat::Jpeg)
        .expect("encode JPEG");
    bytes.into_inner()
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write fixture file");
}

/// `train/n0c/{a,b}.JPEG` and `val/n0c/v.JPEG` for six classes, plus a truncated training JPEG.
fn fixture(root: &Path) {
    for class in 0..CLASSES {
        let wnid = format!("n0{class}");
        write(
            &root.join(format!("train/{wnid}/a.JPEG")),
            &jpeg(80 + 10 * class, 64, class),
        );
        write(
            &root.join(format!("train/{wnid}/b.JPEG")),
            &jpeg(72, 96, class),
        );
        write(
            &root.join(format!("val/{wnid}/v.JPEG")),
            &jpeg(90, 70, class),
        );
    }
    let whole = jpeg(100, 80, 0);
    write(&root.join("train/n00/cut.JPEG"), &whole[..whole.len() / 2]);
}

#[test]
fn resnet_101_trains_a_few_steps_on_imagenet_folders() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("imagenet");
    fixture(&root);
    let batch = 2;
    let mut config = TrainConfig::imagenet("resnet-101", "imagenet", batch);
    config.epochs = 2;
    config.steps_per_epoch = Some(1);
    config.image_size = Some(64);
    config.checkpoint_every = 2;
    config.device = "cpu".into();
    let source = ImagenetFolders::open(&root, &config).expect("open the fixture");
    let run_dir = tmp.path().join("run");
    let outcome =
        train_from(&config, &source, &run_dir, &RunOptions::default()).expect("training runs");

    assert_eq!(
        outcome.status.state,
        RunState::Finished,
        "{:?}",
        outcome.status
    );
    assert_eq!(outcome.status.step, 2);
    let metrics = MetricsLog::new(run_dir.join("metrics.jsonl"))
        .read()
        .expect("metrics.jsonl");
    assert_eq!(metrics.len(), 2);
    for m in &metrics {
        assert!(
            m.train_loss.is_finite() && m.train_loss > 0.0,
            "training loss {}",
            m.train_loss
        );
        // A non-finite evaluation loss would be recorded as f64::MAX.
        assert!(
            m.test_loss.is_finite() && m.test_loss > 0.0 && m.test_loss < f64::MAX,
            "test loss {}",
            m.test_loss
        );
        assert_eq!(m.lr, 0.00078125, "0.1 x 2 / 256, no decay within 2 epochs");
        // One step of 2 images (1 if the truncated file was drawn), 6 validation images: each
        // accuracy is a count over those.
        let train = [m.train_acc, m.train_top5.expect("train top-5")];
        let test = [m.test_acc, m.test_top5.expect("ImageNet records top-5")];
        for (value, of) in train
            .iter()
            .map(|v| (v, 2.0))
            .chain(test.iter().map(|v| (v, 6.0)))
        {
            let count = value * of;
            assert!(
                (0.0..=of).contains(&count) && (count - count.round()).abs() < 1e-9,
                "accuracy {value} is not a count out of {of}"
            );
        }
    }
    assert!(run_dir.join("checkpoint/manifest.json").is_file());
    let text = std::fs::read_to_string(run_dir.join("metrics.jsonl")).expect("read");
    assert!(text.contains("\"test_top5\""), "{text}");
}
