use deepskip_spectra::{NpyArray, NpyData, Tolerance};
use ndarray::{array, Array3, ShapeBuilder};
use ndarray_npy::WriteNpyExt;
use std::fs::File;
use std::path::Path;

fn write<A: WriteNpyExt>(path: &Path, a: &A) {
    a.write_npy(File::create(path).unwrap()).unwrap();
}

#[test]
fn c_and_fortran_order_f32_and_f64_read_back_row_major() {
    let dir = tempfile::tempdir().unwrap();
    let c64 = array![[1.0_f64, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let mut f32_fortran = ndarray::Array2::<f32>::zeros((2, 3).f());
    f32_fortran.assign(&c64.mapv(|x| x as f32));
    write(&dir.path().join("c.npy"), &c64);
    write(&dir.path().join("f.npy"), &f32_fortran);
    let c = NpyArray::read(&dir.path().join("c.npy")).unwrap();
    let f = NpyArray::read(&dir.path().join("f.npy")).unwrap();
    assert_eq!(c.data, NpyData::F64(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
    assert_eq!(f.data, NpyData::F32(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
    assert_eq!((c.dtype(), f.dtype()), ("f64", "f32"));
    let kc = c.condition_number(Tolerance::DataPrecision).unwrap();
    let kf = f.condition_number(Tolerance::DataPrecision).unwrap();
    assert!((kc.kappa - kf.kappa).abs() < 1e-5 * kc.kappa);
}

#[test]
fn higher_rank_arrays_are_flattened_to_n_by_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.npy");
    write(&path, &Array3::<f32>::ones((4, 2, 5)));
    let a = NpyArray::read(&path).unwrap();
    assert_eq!(
        (a.shape.clone(), a.matrix_shape()),
        (vec![4, 2, 5], (4, 10))
    );
    assert_eq!(
        a.condition_number(Tolerance::DataPrecision)
            .unwrap()
            .numerical_rank,
        1
    );
}

#[test]
fn unsupported_dtype_malformed_file_and_vectors_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let ints = dir.path().join("i.npy");
    write(&ints, &array![[1_i32, 2], [3, 4]]);
    let err = NpyArray::read(&ints).unwrap_err().to_string();
    assert!(
        err.contains("unsupported dtype") && err.contains("<i4"),
        "{err}"
    );

    let junk = dir.path().join("junk.npy");
    std::fs::write(&junk, b"not an npy file at all").unwrap();
    let err = NpyArray::read(&junk).unwrap_err().to_string();
    assert!(err.contains("not a readable .npy file"), "{err}");

    let vector = dir.path().join("v.npy");
    write(&vector, &array![1.0_f64, 2.0]);
    let err = NpyArray::read(&vector).unwrap_err().to_string();
    assert!(err.contains("at least 2 are needed"), "{err}");

    let missing = NpyArray::read(&dir.path().join("missing.npy")).unwrap_err();
    assert!(missing.to_string().contains("missing.npy"));
}
