//! The [`Progress`] trait long-running stages report to, and [`NoProgress`].

/// Receives progress: a stage starts with a known amount of work, advances, and ends.
pub trait Progress: Sync {
    /// A stage begins (`total` units of work, 0 when unknown).
    fn start(&self, stage: &str, total: u64);
    /// `n` more units are done.
    fn advance(&self, n: u64);
    /// The stage is over.
    fn finish(&self);
}

/// A [`Progress`] that reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}
