//! The library's singular values against NumPy's (`numpy.linalg.svd`, LAPACK `gesdd` through
//! NumPy's own build), to 1e-6 relative, on generated matrices written as `.npy`. Skips with a
//! reason when `python3` with numpy is not available (`pip install numpy`).

mod common;

use common::{log_spaced, random, with_spectrum};
use deepskip_spectra::NpyArray;
use ndarray::Array2;
use ndarray_npy::WriteNpyExt;
use std::path::Path;
use std::process::Command;

/// NumPy's singular values of the `.npy` at `path` (flattened to N x rest), or why not.
fn numpy_singular_values(path: &Path) -> Result<Vec<f64>, String> {
    let python = std::env::var("DEEPSKIP_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let script = "import sys, numpy as np\n\
                  a = np.load(sys.argv[1]).astype(np.float64)\n\
                  a = a.reshape(a.shape[0], -1)\n\
                  print(' '.join(repr(float(s)) for s in np.linalg.svd(a, compute_uv=False)))";
    let out = Command::new(&python)
        .args(["-c", script])
        .arg(path)
        .output()
        .map_err(|e| format!("{python} cannot be run: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{python} with numpy failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(|v| v.parse().map_err(|e| format!("bad number {v:?}: {e}")))
        .collect()
}

#[test]
fn singular_values_agree_with_numpy_to_1e_6_relative() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Array2<f64>)> = vec![
        (
            "wide",
            with_spectrum(20, 300, &log_spaced(1e3, 1.0, 20), 50),
        ),
        (
            "tall",
            with_spectrum(200, 15, &log_spaced(10.0, 1.0, 15), 51),
        ),
        ("square", random(40, 40, 52)),
    ];
    for (name, a) in cases {
        for f32_input in [false, true] {
            let path = dir.path().join(format!("{name}-{f32_input}.npy"));
            let file = std::fs::File::create(&path).unwrap();
            if f32_input {
                a.mapv(|x| x as f32).write_npy(file).unwrap();
            } else {
                a.write_npy(file).unwrap();
            }
            let numpy = match numpy_singular_values(&path) {
                Ok(values) => values,
                Err(reason) => {
                    eprintln!("skipped: {reason} (pip install numpy, or set DEEPSKIP_PYTHON)");
                    return;
                }
            };
            let ours = NpyArray::read(&path).unwrap().spectrum().unwrap().raw;
            assert_eq!(ours.len(), numpy.len(), "{name}");
            for (i, (o, n)) in ours.iter().zip(&numpy).enumerate() {
                assert!(
                    (o - n).abs() <= 1e-6 * n.abs(),
                    "{name} (f32 {f32_input}) sigma_{i}: ours {o}, numpy {n}"
                );
            }
        }
    }
}
