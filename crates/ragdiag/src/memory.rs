//! Gives the system back the memory the allocator holds free, at the points where a streamed
//! diagnosis lets go of much at once (glibc's `malloc_trim`).

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
