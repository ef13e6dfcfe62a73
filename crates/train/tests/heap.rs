//! `keep_freed_memory` changes what glibc does with a freed activation-sized block. One test in
//! its own binary: the allocator counters are process-wide, so nothing may allocate beside it.
#![cfg(all(target_os = "linux", target_env = "gnu"))]
#![allow(unsafe_code)]

use deepskip_train::{keep_freed_memory, HeapTuning};

/// 24 MiB: above glibc's default mmap threshold, below the one set, and no earlier free in
/// this process was that large (a large free raises glibc's threshold on its own).
const BLOCK: usize = 24 << 20;

fn counters() -> libc::mallinfo2 {
    // SAFETY: mallinfo2 only reads the allocator's statistics.
    unsafe { libc::mallinfo2() }
}

#[test]
fn a_freed_large_block_stays_in_the_heap_for_reuse() {
    let tuning = keep_freed_memory();
    if let HeapTuning::LeftToEnvironment(var) = &tuning {
        eprintln!("skipped: {var} configures malloc for this process");
        return;
    }
    assert_eq!(tuning, HeapTuning::Applied);
    let before = counters();
    // SAFETY: a plain allocation, written to so its pages exist, freed once.
    let held = unsafe {
        let block = libc::malloc(BLOCK).cast::<u8>();
        assert!(!block.is_null());
        block.write_bytes(1, BLOCK);
        let held = counters();
        libc::free(block.cast());
        held
    };
    let after = counters();
    assert_eq!(
        held.hblkhd, before.hblkhd,
        "the block got its own mmap, to be unmapped on free"
    );
    assert_eq!(
        after.arena, held.arena,
        "the heap shrank after the free: memory went back to the kernel"
    );
}
