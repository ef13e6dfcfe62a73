//! Embeds libtorch's library folder as an rpath of the `deepskip` binaries, so that a built
//! binary runs without `LD_LIBRARY_PATH` on the machine that built it. Elsewhere (a GPU
//! machine with its own torch) `LD_LIBRARY_PATH` still takes precedence over this RUNPATH.

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    if let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg-bins=-Wl,-rpath,{lib}");
    }
}
