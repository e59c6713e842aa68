//! Gives the system back the memory the allocator holds free, at the points where a streamed
//! diagnosis lets go of much at once (glibc's `malloc_trim`), and has large blocks mapped on
//! their own (glibc's `mallopt`).

/// Returns to the system the pages glibc's allocator holds free in every arena.
///
/// glibc keeps what a thread frees in that thread's arena and gives back only the top of a heap
/// by itself. A streamed trace's texts are made and freed by the worker threads, so without
/// this the pages they held stay resident while the main thread takes fresh ones for what
/// follows (BENCHMARKS.md, "a fourteenth look"). Elsewhere (another C library or system) it
/// does nothing.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub(crate) fn release_freed() {
    // SAFETY: `malloc_trim` takes no pointer and works only on the allocator's own free lists,
    // under each arena's lock: any thread may call it at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Does nothing: only glibc's allocator is asked ([`release_freed`] on Linux with glibc).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn release_freed() {}

/// The size from which glibc's allocator gives a block its own mapping ([`map_large_blocks`]).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const LARGE_BLOCK: libc::c_int = 1 << 20;

/// Has glibc's allocator give every block of `LARGE_BLOCK` (1 MiB) or more its own mapping,
/// handed back to the system when the block is freed.
///
/// By default glibc raises that threshold (up to 32 MiB) each time such a block is freed, so
/// that later large lists (a streamed diagnosis's per-question columns at its end, a part's
/// tables) come from the heap, where the holes they leave stay resident and the next lists
/// take fresh pages beside them: 300,000 questions peaked at 292 MB with the default and 245 MB
/// with this (BENCHMARKS.md, "an eighteenth look"). Elsewhere it does nothing.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub(crate) fn map_large_blocks() {
    // SAFETY: `mallopt` takes two integers and changes one of the allocator's settings under
    // its lock; blocks already given out are not touched.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE_BLOCK);
    }
}

/// Does nothing: only glibc's allocator is asked ([`map_large_blocks`] on Linux with glibc).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn map_large_blocks() {}
