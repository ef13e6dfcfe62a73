//! The CUDA backend is linked (no GPU needed): whenever the libtorch these binaries were built
//! against has `libtorch_cuda.so`, the `deepskip` binary and this test binary name it among
//! their NEEDED libraries (crates/bench/tests/cuda_link.rs checks `deepskip-bench`), and
//! `deepskip doctor` reports it compiled in.
//! Without it (`--as-needed` drops it) CUDA is never available, whatever the GPU.

use std::path::{Path, PathBuf};
use std::process::Command;

use deepskip_torch_link::{has_cuda, needed_libraries, CUDA_LIBRARY};

/// The libtorch `lib/` this crate linked, if it has a CUDA backend.
fn cuda_libtorch() -> Option<PathBuf> {
    let lib = PathBuf::from(env!("DEEPSKIP_LIBTORCH_LIB"));
    if has_cuda(&lib) {
        Some(lib)
    } else {
        println!(
            "skipped: the libtorch in {} has no {CUDA_LIBRARY} (a CPU-only build)",
            lib.display()
        );
        None
    }
}

fn assert_links_cuda(binary: &Path) {
    let needed =
        needed_libraries(binary).unwrap_or_else(|e| panic!("reading {}: {e}", binary.display()));
    assert!(
        needed.iter().any(|l| l == CUDA_LIBRARY),
        "{} does not link {CUDA_LIBRARY}; NEEDED: {needed:?}",
        binary.display()
    );
}

#[test]
fn binaries_and_test_binaries_link_the_cuda_backend() {
    if cuda_libtorch().is_none() {
        return;
    }
    assert_links_cuda(Path::new(env!("CARGO_BIN_EXE_deepskip")));
    assert_links_cuda(&std::env::current_exe().unwrap());
}

#[test]
fn doctor_reports_cuda_compiled_in() {
    let out = Command::new(env!("CARGO_BIN_EXE_deepskip"))
        .arg("doctor")
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("CUDA devices:"), "{text}");
    let expected = if cuda_libtorch().is_some() {
        "CUDA compiled in: yes"
    } else {
        "CUDA compiled in: no"
    };
    assert!(text.contains(expected), "{text}");
}
