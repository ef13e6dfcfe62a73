//! The benchmark harness at toy size: the `deepskip-bench` driver and, when the provisioned
//! Python (with torch and numpy) is there, the references in bench/reference/ must report the
//! same parameter counts and the same condition numbers. Correctness only, no timings.

use std::path::{Path, PathBuf};
use std::process::Command;

use deepskip_models::ModelSpec;
use serde_json::Value;

fn report(command: &mut Command) -> Value {
    let output = command.output().expect("the command starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let last = stdout.lines().last().expect("a report line");
    serde_json::from_str(last).expect("the last line is JSON")
}

fn driver(args: &[&str]) -> Value {
    report(Command::new(env!("CARGO_BIN_EXE_deepskip-bench")).args(args))
}

/// The venv python owning `$LIBTORCH` (xtask sets it), if it can import `module`.
fn reference_python(module: &str) -> Option<PathBuf> {
    let libtorch = PathBuf::from(std::env::var_os("LIBTORCH")?);
    let python = libtorch.ancestors().nth(4)?.join("bin").join("python");
    let ok = Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(python)
}

fn reference_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../bench/reference")
        .join(name)
}

fn kappas(report: &Value) -> Vec<f64> {
    report["kappas"]
        .as_array()
        .expect("kappas")
        .iter()
        .map(|k| {
            k.as_f64()
                .unwrap_or(if k == "inf" { f64::INFINITY } else { f64::NAN })
        })
        .collect()
}

/// Each timed step's forward, backward and update seconds add up to its step time (timed on
/// its own clock), on either side (xtask's "where the time goes" table reads them).
fn assert_phases_add_up(report: &Value) {
    let phase = |name: &str| -> Vec<f64> {
        let values = report["phase_seconds"][name].as_array();
        let values = values.unwrap_or_else(|| panic!("no {name} phase in {report}"));
        values.iter().map(|v| v.as_f64().unwrap()).collect()
    };
    let (forward, backward, update) = (phase("forward"), phase("backward"), phase("update"));
    let steps = report["step_seconds"].as_array().unwrap();
    assert_eq!(forward.len(), steps.len(), "{report}");
    assert_eq!(backward.len(), steps.len(), "{report}");
    assert_eq!(update.len(), steps.len(), "{report}");
    for (i, step) in steps.iter().enumerate() {
        let (parts, step) = (forward[i] + backward[i] + update[i], step.as_f64().unwrap());
        // The phases lie inside the step; what is left is two clock reads, far below 1 ms.
        assert!(parts <= step + 1e-9, "phases exceed the step: {report}");
        assert!(
            step - parts < 1e-3 + 0.01 * step,
            "time unaccounted for: {report}"
        );
        assert!(forward[i] > 0.0 && backward[i] > 0.0, "{report}");
    }
    assert!(report["heap"].is_string(), "{report}");
}

#[test]
fn train_step_reports_the_models_parameter_count_like_the_reference() {
    let args = [
        "--model", "resnet-8", "--batch", "2", "--width", "0.25", "--warmup", "0", "--steps", "1",
    ];
    let mut all = vec!["train-step"];
    all.extend(args);
    let ours = driver(&all);
    let spec: ModelSpec = "resnet-8".parse().unwrap();
    let expected = spec.with_width_multiplier(0.25).unwrap().param_count();
    assert_eq!(ours["params"].as_u64(), Some(expected));
    assert_eq!(ours["step_seconds"].as_array().map(Vec::len), Some(1));
    assert!(ours["forward_flops_per_image"].as_u64().unwrap() > 0);
    assert_phases_add_up(&ours);
    let Some(python) = reference_python("torch") else {
        eprintln!("skipped the PyTorch side: no venv python with torch next to $LIBTORCH");
        return;
    };
    for model in ["resnet-8", "plainnet-8", "resnext-11"] {
        let mut model_args = args.to_vec();
        model_args[1] = model;
        let theirs = report(
            Command::new(&python)
                .arg(reference_script("train_step.py"))
                .args(&model_args),
        );
        let mut all = vec!["train-step"];
        all.extend(&model_args);
        assert_eq!(theirs["params"], driver(&all)["params"], "{model}");
        assert_phases_add_up(&theirs);
    }
}

#[test]
fn condition_numbers_agree_with_numpy_on_tiny_matrices() {
    let dir = tempfile::tempdir().unwrap();
    let dir_arg = dir.path().to_str().unwrap();
    let written = driver(&[
        "write-matrices",
        "--dir",
        dir_arg,
        "--rows",
        "6",
        "--cols",
        "40",
        "--count",
        "3",
        "--prefix",
        "tiny",
    ]);
    let files: Vec<String> = written["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    assert_eq!(files.len(), 3);
    assert_eq!(written["rank_deficient"], serde_json::json!([1]));
    let mut args = vec!["condition"];
    args.extend(files.iter().map(String::as_str));
    let ours = kappas(&driver(&args));
    assert!(ours[0].is_finite() && ours[0] > 1.0, "{ours:?}");
    assert_eq!(ours[1], f64::INFINITY, "row 1 copies row 0");
    let Some(python) = reference_python("numpy") else {
        eprintln!("skipped the NumPy side: no venv python with numpy next to $LIBTORCH");
        return;
    };
    let theirs = kappas(&report(
        Command::new(python)
            .arg(reference_script("svd.py"))
            .args(&files),
    ));
    assert_eq!(
        ours.len(),
        theirs.len(),
        "one kappa per matrix on each side"
    );
    for (a, b) in ours.iter().zip(&theirs) {
        if a.is_finite() {
            assert!((a - b).abs() <= 1e-6 * a.abs(), "{a} vs {b}");
        } else {
            assert_eq!(a, b);
        }
    }
}

/// bf16 and channels-last steps train the same network (same parameter count) and time their
/// phases like fp32 ones, on both sides; fp16 autocast is refused on the CPU by both, saying so.
#[test]
fn bf16_and_channels_last_steps_report_like_fp32_ones_and_cpu_fp16_is_refused() {
    let base = [
        "train-step",
        "--model",
        "resnet-8",
        "--batch",
        "2",
        "--width",
        "0.25",
        "--warmup",
        "0",
        "--steps",
        "1",
    ];
    let fp32 = driver(&base);
    let python = reference_python("torch");
    for extra in [
        &["--precision", "bf16"][..],
        &["--channels-last"],
        &["--precision", "bf16", "--channels-last"],
    ] {
        let mut args = base.to_vec();
        args.extend(extra);
        let ours = driver(&args);
        assert_eq!(ours["params"], fp32["params"], "{extra:?}");
        assert_eq!(
            ours["channels_last"],
            extra.contains(&"--channels-last"),
            "{ours}"
        );
        assert_phases_add_up(&ours);
        if let Some(python) = &python {
            let theirs = report(
                Command::new(python)
                    .arg(reference_script("train_step.py"))
                    .args(&args[1..]),
            );
            assert_eq!(theirs["params"], ours["params"], "{extra:?}");
            assert_eq!(theirs["precision"], ours["precision"], "{extra:?}");
            assert_phases_add_up(&theirs);
        }
    }
    let mut fp16 = base.to_vec();
    fp16.extend(["--precision", "fp16"]);
    let refused = Command::new(env!("CARGO_BIN_EXE_deepskip-bench"))
        .args(&fp16)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("fp16 is CUDA autocast"), "{stderr}");
}
