//! The CUDA backend is linked into `deepskip-bench` whenever the libtorch it was built against
//! has `libtorch_cuda.so` (no GPU needed): without it CUDA is never available to the bench, and
//! the GPU check would time the CPU.

use std::path::{Path, PathBuf};

use deepskip_torch_link::{has_cuda, needed_libraries, CUDA_LIBRARY};

#[test]
fn the_bench_binary_links_the_cuda_backend() {
    let lib = PathBuf::from(env!("DEEPSKIP_LIBTORCH_LIB"));
    if !has_cuda(&lib) {
        println!(
            "skipped: the libtorch in {} has no {CUDA_LIBRARY} (a CPU-only build)",
            lib.display()
        );
        return;
    }
    let binary = Path::new(env!("CARGO_BIN_EXE_deepskip-bench"));
    let needed = needed_libraries(binary).unwrap();
    assert!(
        needed.iter().any(|l| l == CUDA_LIBRARY),
        "{} does not link {CUDA_LIBRARY}; NEEDED: {needed:?}",
        binary.display()
    );
}
