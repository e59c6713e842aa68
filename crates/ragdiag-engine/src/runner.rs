//! Asking every question of an engine: bounded concurrency, retries with jittered exponential
//! backoff on transient failures, a rate limit shared by the workers, and the response cache.
//! Every question gets its own result, in the questions' order; a failure carries its cause.

use crate::cache::Cache;
use crate::{Engine, EngineError, EngineHit, Request};
use rand::{Rng, SeedableRng};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How the runner asks.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Requests in flight at once (at least 1).
    pub concurrency: usize,
    /// Retries of a transient failure (429, 5xx, timeout, connection).
    pub retries: u32,
    /// The first backoff; retry `n` waits between half and all of `backoff · 2ⁿ`.
    pub backoff: Duration,
    /// The longest backoff.
    pub backoff_max: Duration,
    /// At most this many requests a second, all workers together.
    pub rate: Option<f64>,
    /// Seed of the backoff jitter (the waits are the same on every run).
    pub seed: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            concurrency: crate::config::defaults::CONCURRENCY,
            retries: crate::config::defaults::RETRIES,
            backoff: Duration::from_millis(crate::config::defaults::BACKOFF_MS),
            backoff_max: Duration::from_millis(crate::config::defaults::BACKOFF_MAX_MS),
            rate: None,
            seed: 0,
        }
    }
}

/// One question's hits, or why it has none.
pub type Answer = Result<Vec<EngineHit>, EngineError>;

/// What a run gave.
#[derive(Debug)]
pub struct Outcome {
    /// Each question's hits or the error that ended its last attempt, in the questions' order.
    pub results: Vec<Answer>,
    /// Requests sent to the engine (retries included).
    pub sent: usize,
    /// Questions answered from the cache.
    pub cached: usize,
    /// Retries made.
    pub retried: usize,
    /// Time spent waiting for the engine, summed over requests.
    pub engine_time: Duration,
    /// Cache files that could not be written (the run goes on).
    pub cache_errors: Vec<String>,
    /// Cache files that were there but damaged (`PATH: REASON`), sorted: their questions were
    /// asked again and the files replaced.
    pub damaged: Vec<String>,
}

impl Outcome {
    /// How many questions failed.
    #[must_use]
    pub fn failed(&self) -> usize {
        self.results.iter().filter(|r| r.is_err()).count()
    }
}

/// The earliest start of the next request, shared by the workers.
struct RateLimit {
    next: Mutex<Instant>,
    interval: Duration,
}

impl RateLimit {
    fn wait(&self) {
        let at = {
            let mut next = self
                .next
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = Instant::now();
            let at = (*next).max(now);
            *next = at + self.interval;
            at
        };
        let now = Instant::now();
        if at > now {
            std::thread::sleep(at - now);
        }
    }
}

/// The wait before retry `attempt` (from 0) of question `index`: between half and all of
/// `backoff · 2^attempt` (at most `backoff_max`), the share drawn from a stream seeded by
/// (`seed`, `index`, `attempt`).
#[must_use]
pub fn backoff(policy: &Policy, index: usize, attempt: u32) -> Duration {
    let cap = policy
        .backoff
        .saturating_mul(1u32 << attempt.min(20))
        .min(policy.backoff_max);
    let stream = policy
        .seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add((index as u64) << 8)
        .wrapping_add(u64::from(attempt));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(stream);
    cap.mul_f64(0.5 + 0.5 * rng.random::<f64>())
}

/// Asks `engine` every request (answers from `cache` first; successful answers stored there).
#[must_use]
pub fn run(
    engine: &dyn Engine,
    requests: &[Request],
    policy: &Policy,
    cache: Option<&Cache>,
) -> Outcome {
    let identity = engine.identity();
    let results: Vec<Mutex<Option<Answer>>> = requests.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let (sent, cached, retried) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let engine_nanos = AtomicUsize::new(0);
    let cache_errors = Mutex::new(Vec::new());
    let damaged = Mutex::new(Vec::new());
    let limit = policy.rate.map(|r| RateLimit {
        next: Mutex::new(Instant::now()),
        interval: Duration::from_secs_f64(1.0 / r),
    });
    let workers = policy.concurrency.clamp(1, requests.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(request) = requests.get(i) else {
                    break;
                };
                let key = cache.map(|_| Cache::key(&identity, request));
                if let (Some(c), Some(k)) = (cache, &key) {
                    match c.get(k) {
                        Ok(Some(hits)) => {
                            cached.fetch_add(1, Ordering::Relaxed);
                            *results[i]
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                                Some(Ok(hits));
                            continue;
                        }
                        Ok(None) => {}
                        Err(e) => damaged
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push(e),
                    }
                }
                let mut attempt = 0;
                let result = loop {
                    if let Some(l) = &limit {
                        l.wait();
                    }
                    sent.fetch_add(1, Ordering::Relaxed);
                    let started = Instant::now();
                    let r = engine.retrieve(request);
                    let took = usize::try_from(started.elapsed().as_nanos()).unwrap_or(usize::MAX);
                    engine_nanos.fetch_add(took, Ordering::Relaxed);
                    match r {
                        Err(e) if e.is_transient() && attempt < policy.retries => {
                            retried.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(backoff(policy, i, attempt));
                            attempt += 1;
                        }
                        r => break r,
                    }
                };
                if let (Some(c), Some(k), Ok(hits)) = (cache, &key, &result) {
                    if let Err(e) = c.put(k, hits) {
                        cache_errors
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push(format!("{}: {e}", c.dir().display()));
                    }
                }
                *results[i]
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(result);
            });
        }
    });
    Outcome {
        results: results
            .into_iter()
            .map(|m| {
                m.into_inner()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .unwrap_or_else(|| {
                        Err(EngineError::Request("not asked (a worker stopped)".into()))
                    })
            })
            .collect(),
        sent: sent.into_inner(),
        cached: cached.into_inner(),
        retried: retried.into_inner(),
        engine_time: Duration::from_nanos(engine_nanos.into_inner() as u64),
        cache_errors: cache_errors
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
        damaged: {
            let mut d = damaged
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            d.sort();
            d
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_its_jitter_and_is_seeded() {
        let p = Policy {
            backoff: Duration::from_millis(100),
            backoff_max: Duration::from_millis(1000),
            ..Policy::default()
        };
        for attempt in 0..6 {
            let cap = Duration::from_millis((100u64 << attempt).min(1000));
            let d = backoff(&p, 3, attempt);
            assert!(d >= cap / 2 && d <= cap, "{attempt}: {d:?}");
            assert_eq!(d, backoff(&p, 3, attempt));
        }
        assert_ne!(backoff(&p, 1, 0), backoff(&p, 2, 0));
    }
}
