//! How the binaries, tests, examples and benches of a crate link libtorch.
//!
//! torch-sys links `libtorch_cuda.so`, but its link flags apply to its own targets only, and the
//! linker's `--as-needed` drops a library no symbol is taken from: no libtorch symbol names
//! CUDA, so without help the backend is never loaded and `tch::Cuda::is_available()` is false on
//! every GPU. Each crate whose targets link libtorch therefore calls [`emit`] from its build
//! script (with `torch-sys` as a direct dependency, which is what gives the build script
//! `DEP_TCH_LIBTORCH_LIB`):
//!
//! ```toml
//! [dependencies]
//! torch-sys.workspace = true
//! [build-dependencies]
//! deepskip-torch-link.workspace = true
//! ```
//! and `build.rs`: `fn main() { deepskip_torch_link::emit(); }`.
//!
//! It also embeds libtorch's library folder as an rpath, so binaries and test binaries run with
//! nothing exported (`LD_LIBRARY_PATH`, when set, still wins over this RUNPATH).

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The compile-time variable [`emit`] sets: the libtorch library folder the crate linked.
pub const LIB_DIR_VAR: &str = "DEEPSKIP_LIBTORCH_LIB";

/// The CUDA backend library, present in CUDA builds of libtorch (the PyPI torch has it).
pub const CUDA_LIBRARY: &str = "libtorch_cuda.so";

/// Prints the cargo instructions for the calling build script; does nothing when the crate is
/// built without torch-sys (e.g. an optional `tch` feature turned off).
pub fn emit() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    let Some(lib) = std::env::var_os("DEP_TCH_LIBTORCH_LIB").map(PathBuf::from) else {
        return;
    };
    println!(
        "cargo:rerun-if-changed={}",
        lib.join(CUDA_LIBRARY).display()
    );
    for arg in link_args(&lib, has_cuda(&lib)) {
        println!("cargo:rustc-link-arg={arg}");
    }
    println!("cargo:rustc-env={LIB_DIR_VAR}={}", lib.display());
}

/// Whether the libtorch in `lib` has a CUDA backend.
pub fn has_cuda(lib: &Path) -> bool {
    lib.join(CUDA_LIBRARY).is_file()
}

/// Linker flags for the targets of a crate that links the libtorch in `lib`.
pub fn link_args(lib: &Path, cuda: bool) -> Vec<String> {
    let mut args = vec![format!("-Wl,-rpath,{}", lib.display())];
    if cuda {
        // Keep libtorch_cuda (and libtorch, which pulls in the rest) although no symbol of
        // them is used directly; then restore the default for whatever follows.
        args.extend(
            [
                "-Wl,--no-as-needed",
                "-ltorch_cuda",
                "-ltorch",
                "-Wl,--as-needed",
            ]
            .map(String::from),
        );
    }
    args
}

/// The shared libraries an ELF file names as NEEDED, read with `readelf -d` (binutils, which
/// comes with the C++ compiler libtorch needs anyway).
pub fn needed_libraries(binary: &Path) -> io::Result<Vec<String>> {
    let out = Command::new("readelf").arg("-d").arg(binary).output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "readelf -d {} failed: {}",
            binary.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(parse_needed(&String::from_utf8_lossy(&out.stdout)))
}

/// `0x...1 (NEEDED)  Shared library: [libc.so.6]` lines of `readelf -d`.
fn parse_needed(readelf_output: &str) -> Vec<String> {
    readelf_output
        .lines()
        .filter(|line| line.contains("(NEEDED)"))
        .filter_map(|line| {
            let start = line.find('[')? + 1;
            let end = line[start..].find(']')? + start;
            Some(line[start..end].to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuda_flags_keep_the_backend_and_restore_as_needed() {
        let args = link_args(Path::new("/t/lib"), true);
        assert_eq!(
            args,
            [
                "-Wl,-rpath,/t/lib",
                "-Wl,--no-as-needed",
                "-ltorch_cuda",
                "-ltorch",
                "-Wl,--as-needed"
            ]
        );
        assert_eq!(link_args(Path::new("/t/lib"), false), ["-Wl,-rpath,/t/lib"]);
    }

    #[test]
    fn needed_entries_are_read_from_readelf_output() {
        let out = "Dynamic section at offset 0x1 contains 3 entries:\n\
             Tag        Type                         Name/Value\n\
             0x0000000000000001 (NEEDED)             Shared library: [libtorch_cuda.so]\n\
             0x0000000000000001 (NEEDED)             Shared library: [libc.so.6]\n\
             0x000000000000001d (RUNPATH)            Library runpath: [/t/lib]\n";
        assert_eq!(parse_needed(out), ["libtorch_cuda.so", "libc.so.6"]);
    }

    #[test]
    fn cuda_backend_is_detected_by_its_library_file() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(!has_cuda(tmp.path()));
        std::fs::write(tmp.path().join(CUDA_LIBRARY), b"").unwrap();
        assert!(has_cuda(tmp.path()));
    }
}
