//! Links libtorch's CUDA backend (when present) and an rpath into this crate's tests and
//! binaries: see crates/torch-link.

fn main() {
    deepskip_torch_link::emit();
}
