//! Keeps freed memory in the process for the next training step.
//!
//! glibc's malloc hands memory back to the kernel as soon as it is freed: blocks above its mmap
//! threshold (128 KiB until a large free raises it) are unmapped, and free space at the top of
//! the heap above its trim threshold is trimmed. A training step frees all of its activations
//! at the end of the backward pass and allocates them again in the next forward pass, so under
//! the defaults every step page-faults its whole activation memory back in. Measured with
//! `deepskip-bench train-step` (bench/README.md): ResNet-164's backward pass took about twice
//! as long as PyTorch's for that reason alone, and about the same with the memory kept.
//!
//! The setting is process-wide, so the library never applies it on its own: binaries call
//! [`keep_freed_memory`] once at start-up (both deepskip binaries do).

/// Freed heap memory kept for reuse before glibc trims it (1 GiB).
const TRIM_THRESHOLD_BYTES: i32 = 1 << 30;
/// Blocks from this size up get their own mmap (32 MiB, the largest glibc accepts).
const MMAP_THRESHOLD_BYTES: i32 = 32 << 20;

/// What [`keep_freed_memory`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeapTuning {
    /// Both thresholds set.
    Applied,
    /// The user configured malloc in the environment (named here); their setting stands.
    LeftToEnvironment(String),
    /// Not glibc, or glibc refused a value: the allocator's defaults stand.
    Unsupported,
}

impl std::fmt::Display for HeapTuning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeapTuning::Applied => write!(
                f,
                "glibc malloc keeps up to {} MiB of freed memory, mmap from {} MiB",
                TRIM_THRESHOLD_BYTES >> 20,
                MMAP_THRESHOLD_BYTES >> 20
            ),
            HeapTuning::LeftToEnvironment(var) => write!(f, "malloc as configured by {var}"),
            HeapTuning::Unsupported => write!(f, "allocator defaults"),
        }
    }
}

/// Raises glibc's trim and mmap thresholds so activation memory is reused across steps,
/// unless the environment already configures malloc.
pub fn keep_freed_memory() -> HeapTuning {
    match malloc_configured_by(|name| std::env::var(name).ok()) {
        Some(var) => HeapTuning::LeftToEnvironment(var),
        None => set_thresholds(),
    }
}

/// The environment variable through which the user already tunes glibc malloc, if any.
fn malloc_configured_by(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    const LEGACY: [&str; 2] = ["MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_"];
    if let Some(name) = LEGACY.iter().find(|name| var(name).is_some()) {
        return Some(name.to_string());
    }
    var("GLIBC_TUNABLES")
        .filter(|tunables| tunables.contains("glibc.malloc."))
        .map(|_| "GLIBC_TUNABLES".to_string())
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn set_thresholds() -> HeapTuning {
    // SAFETY: mallopt only stores allocator parameters; glibc serialises it with allocation.
    let set = |param, value| unsafe { libc::mallopt(param, value) } == 1;
    if set(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
        && set(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    {
        HeapTuning::Applied
    } else {
        HeapTuning::Unsupported
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_thresholds() -> HeapTuning {
    HeapTuning::Unsupported
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn a_user_malloc_setting_is_left_alone() {
        assert_eq!(malloc_configured_by(env(&[])), None);
        assert_eq!(
            malloc_configured_by(env(&[("MALLOC_TRIM_THRESHOLD_", "0")])).as_deref(),
            Some("MALLOC_TRIM_THRESHOLD_")
        );
        assert_eq!(
            malloc_configured_by(env(&[("GLIBC_TUNABLES", "glibc.malloc.arena_max=2")])).as_deref(),
            Some("GLIBC_TUNABLES")
        );
        assert_eq!(
            malloc_configured_by(env(&[("GLIBC_TUNABLES", "glibc.pthread.rseq=0")])),
            None
        );
    }
}
