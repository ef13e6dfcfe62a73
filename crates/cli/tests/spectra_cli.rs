//! `deepskip spectra` on .npy files written here: both memory orders, both dtypes.

use ndarray::{array, Array2, Array3, ShapeBuilder};
use ndarray_npy::WriteNpyExt;
use std::path::Path;
use std::process::{Command, Output};

fn deepskip(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deepskip"))
        .args(args)
        .output()
        .expect("the deepskip binary runs")
}

fn write<A: WriteNpyExt>(path: &Path, a: &A) {
    a.write_npy(std::fs::File::create(path).unwrap()).unwrap();
}

fn json(path: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["spectra", path.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let out = deepskip(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON object")
}

/// diag(8, 2) padded to 2 x 3: kappa 4 in every order and dtype.
fn diag64() -> Array2<f64> {
    array![[8.0, 0.0, 0.0], [0.0, 2.0, 0.0]]
}

#[test]
fn both_orders_and_both_dtypes_give_the_same_answer() {
    let dir = tempfile::tempdir().unwrap();
    let mut f64_fortran = Array2::<f64>::zeros((2, 3).f());
    f64_fortran.assign(&diag64());
    let mut f32_fortran = Array2::<f32>::zeros((2, 3).f());
    f32_fortran.assign(&diag64().mapv(|x| x as f32));
    write(&dir.path().join("c64.npy"), &diag64());
    write(&dir.path().join("f64.npy"), &f64_fortran);
    write(&dir.path().join("c32.npy"), &diag64().mapv(|x| x as f32));
    write(&dir.path().join("f32.npy"), &f32_fortran);
    for name in ["c64.npy", "f64.npy", "c32.npy", "f32.npy"] {
        let v = json(&dir.path().join(name), &[]);
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "effective_rank",
                "full_rank",
                "kappa",
                "numerical_rank",
                "shape",
                "sigma_max",
                "sigma_min",
                "singular_values",
                "stable_rank",
                "threshold",
                "tolerance"
            ],
            "{name}"
        );
        assert_eq!(v["shape"], serde_json::json!([2, 3]), "{name}");
        assert_eq!(v["kappa"], 4.0, "{name}");
        assert_eq!(
            (v["sigma_max"].as_f64(), v["sigma_min"].as_f64()),
            (Some(8.0), Some(2.0))
        );
        assert_eq!(
            (v["numerical_rank"].as_u64(), v["full_rank"].as_bool()),
            (Some(2), Some(true))
        );
        assert_eq!(
            v["singular_values"],
            serde_json::json!([8.0, 2.0]),
            "{name}"
        );
        assert_eq!(v["tolerance"], "data-precision");
        // ||A||_F^2 / sigma_max^2 = 68 / 64.
        assert_eq!(v["stable_rank"], 1.0625);
    }
}

#[test]
fn rank_deficient_matrix_reports_the_string_inf_and_tolerance_changes_the_rank() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.npy");
    write(&path, &array![[1.0_f64, 2.0], [2.0, 4.0], [0.0, 0.0]]);
    let v = json(&path, &[]);
    assert_eq!(
        (v["kappa"].as_str(), v["numerical_rank"].as_u64()),
        (Some("inf"), Some(1))
    );
    assert_eq!(v["full_rank"], false);

    let near = dir.path().join("near.npy");
    write(&near, &array![[1.0_f64, 0.0], [0.0, 1e-4]]);
    assert_eq!(json(&near, &[])["kappa"], 1e4);
    assert_eq!(
        json(&near, &["--tolerance", "relative:1e-3"])["kappa"],
        "inf"
    );
    assert_eq!(json(&near, &["--tolerance", "absolute:1e-5"])["kappa"], 1e4);
    // In f32 a kappa of 1e4 at 2 x 2 is finite under both rules; a 2 x 40,000 f32 matrix with
    // kappa 1e3 is singular under numpy's rule only (40,000 * 1.2e-7 = 4.8e-3 > 1e-3).
    let wide = dir.path().join("wide.npy");
    let mut a = Array2::<f32>::zeros((2, 40_000));
    a[[0, 0]] = 1.0;
    a[[1, 1]] = 1e-3;
    write(&wide, &a);
    assert_eq!(json(&wide, &[])["numerical_rank"], 2);
    let numpy = json(&wide, &["--tolerance", "numpy-f32"]);
    assert_eq!(
        (numpy["kappa"].as_str(), numpy["tolerance"].as_str()),
        (Some("inf"), Some("numpy-f32"))
    );
    let bad = deepskip(&["spectra", wide.to_str().unwrap(), "--tolerance", "numpy"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("relative:R"));
}

#[test]
fn higher_rank_arrays_are_flattened_with_a_note_and_text_output_names_the_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.npy");
    let mut t = Array3::<f32>::zeros((2, 2, 2));
    t[[0, 0, 0]] = 3.0;
    t[[1, 1, 1]] = 1.0;
    write(&path, &t);
    let out = deepskip(&["spectra", path.to_str().unwrap()]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("flattened to 2 x 4"), "{stderr}");
    for field in [
        "shape:            2 x 4",
        "condition number: 3.0",
        "sigma_max",
        "sigma_min",
        "numerical rank:   2 of 2",
    ] {
        assert!(stdout.contains(field), "missing {field:?} in\n{stdout}");
    }
}

#[test]
fn unsupported_dtype_and_malformed_file_fail_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let ints = dir.path().join("i.npy");
    write(&ints, &array![[1_i64, 2], [3, 4]]);
    let out = deepskip(&["spectra", ints.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported dtype"));

    let junk = dir.path().join("junk.npy");
    std::fs::write(&junk, b"\x93NUMPY garbage").unwrap();
    let out = deepskip(&["spectra", junk.to_str().unwrap(), "--json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a readable .npy file"));
}
