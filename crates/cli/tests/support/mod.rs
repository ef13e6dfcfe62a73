//! Small generated data sets for the CLI's end-to-end tests: an MNIST-layout IDX split and
//! ImageNet-layout JPEGs.

// Each test binary compiles this module and uses only some of the writers.
#![allow(dead_code)]

use deepskip_runs::schema::EpochMetrics;
use image::{ImageFormat, RgbImage};
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const CLASSES: usize = 10;
const SIDE: usize = 28;

/// An IDX file: magic `00 00 08 <ndims>`, big-endian u32 dimensions, then bytes.
fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

/// An MNIST-layout IDX data set in `dir` (created): `train` and `t10k` splits with the given
/// images per class.
pub fn write_idx_data_set(dir: &Path, train_per_class: usize, test_per_class: usize) {
    fs::create_dir_all(dir).unwrap();
    write_idx_split(dir, "train", train_per_class);
    write_idx_split(dir, "t10k", test_per_class);
}

/// `per_class` images per class in MNIST's layout; class `c` draws a bright bar at row `2c+4`
/// over a little deterministic noise, so the classes are learnable.
fn write_idx_split(dir: &Path, prefix: &str, per_class: usize) {
    let n = per_class * CLASSES;
    let mut images = Vec::with_capacity(n * SIDE * SIDE);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % CLASSES;
        labels.push(class as u8);
        for row in 0..SIDE {
            for col in 0..SIDE {
                let noise = ((i * 31 + row * 7 + col * 13) % 23) as u8;
                let bar = if row == 2 * class + 4 { 200 } else { 0 };
                images.push(bar + noise);
            }
        }
    }
    let images_path = dir.join(format!("{prefix}-images-idx3-ubyte"));
    let labels_path = dir.join(format!("{prefix}-labels-idx1-ubyte"));
    fs::write(
        images_path,
        idx_bytes(&[n as u32, SIDE as u32, SIDE as u32], &images),
    )
    .unwrap();
    fs::write(labels_path, idx_bytes(&[n as u32], &labels)).unwrap();
}

/// A `width` x `height` JPEG at `path` (parents created) whose colours depend on `class`.
pub fn write_jpeg(path: &Path, width: u32, height: u32, class: u32) {
    let picture = RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x * 3 + class * 60) as u8,
            (y * 3) as u8,
            (class * 60) as u8,
        ])
    });
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    picture
        .save_with_format(path, ImageFormat::Jpeg)
        .expect("write JPEG");
}

/// A command (a `deepskip reproduce`) stopped with SIGINT once `deepskip` printed its first epoch line, with
/// the process's exit code and everything it printed.
pub struct Stopped {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

pub fn run_until_first_epoch_then_interrupt(mut command: Command) -> Stopped {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the deepskip binary starts");
    let mut stdout_pipe = child.stdout.take().expect("stdout piped");
    let stdout = std::thread::spawn(move || {
        let mut text = String::new();
        stdout_pipe.read_to_string(&mut text).map(|_| text)
    });
    let mut stderr = String::new();
    let mut lines = BufReader::new(child.stderr.take().expect("stderr piped"));
    let mut signalled = false;
    let mut line = String::new();
    while lines.read_line(&mut line).expect("read stderr") > 0 {
        // A completed epoch prints `epoch 1/2 step 5: ...`; signal at the first one.
        if !signalled && line.starts_with("epoch ") {
            let sent = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status()
                .expect("kill runs");
            assert!(sent.success(), "SIGINT sent");
            signalled = true;
        }
        stderr.push_str(&line);
        line.clear();
    }
    let status = child.wait().expect("deepskip exits");
    assert!(signalled, "no epoch line in:\n{stderr}");
    Stopped {
        code: status.code(),
        stdout: stdout.join().unwrap().expect("read stdout"),
        stderr,
    }
}

/// Every run directory of the IDX data set under `out`, by name.
pub fn idx_run_dirs(out: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(out.join("runs/idx-digits"))
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// What an epoch measured, without its timings.
pub fn measured(m: &EpochMetrics) -> (usize, u64, [f64; 5], u64) {
    (
        m.epoch,
        m.step,
        [m.train_loss, m.train_acc, m.test_loss, m.test_acc, m.lr],
        m.skipped_steps,
    )
}
