//! The [`Embedder`] trait every embedder implements, its [`EmbedError`], and [`cosine`].
//!
//! They live here, not in `ragdiag-embed` (which implements them on ONNX Runtime), so a crate
//! that only consumes vectors links no model runtime.

use std::error::Error;
use std::fmt;

/// A boxed error of any implementation.
type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// Turns texts into vectors. Object-safe, so callers can choose an implementation at run time
/// (`Box<dyn Embedder>`).
///
/// Invariants every implementation keeps:
/// - each vector has [`dim`](Embedder::dim) values and unit L2 norm (a zero vector only where
///   documented);
/// - [`embed_documents`](Embedder::embed_documents) returns one vector a text, in input order,
///   and accepts empty texts;
/// - the same text and [`model_id`](Embedder::model_id) give the same vector (up to float
///   rounding across batch compositions), so vectors may be cached under the model id.
///
/// `&E`, `Box<E>` and `Arc<E>` are embedders when `E` is, and forward every method (the
/// provided [`embed_queries`](Embedder::embed_queries) included, so batching survives the
/// wrapping). An embedder that wraps another must forward every method too.
pub trait Embedder: Send + Sync {
    /// Names the model and everything that changes its vectors (weights, runtime version), e.g.
    /// `all-MiniLM-L6-v2-int8@onnxruntime-1.32.0` or `hash-64`. Recorded in every report and
    /// used as the cache key.
    fn model_id(&self) -> &str;

    /// The number of dimensions of every vector.
    fn dim(&self) -> usize;

    /// Embeds passages: L2-normalised vectors, one per text, in input order.
    ///
    /// # Errors
    ///
    /// When the model fails; no partial result is returned.
    fn embed_documents(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;

    /// Embeds a search query (the same as a passage for symmetric models like MiniLM).
    ///
    /// # Errors
    ///
    /// When the model fails.
    fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError>;

    /// Embeds many search queries, in input order: the same vectors as
    /// [`embed_query`](Embedder::embed_query) on each, possibly batched.
    ///
    /// # Errors
    ///
    /// When the model fails; no partial result is returned.
    fn embed_queries(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        texts.iter().map(|t| self.embed_query(t)).collect()
    }
}

/// Implements [`Embedder`] for pointer types by forwarding every method to the pointee, so no
/// wrapper can forget one.
macro_rules! forward_embedder {
    ($($wrapper:ty),+ $(,)?) => {$(
        impl<E: Embedder + ?Sized> Embedder for $wrapper {
            fn model_id(&self) -> &str {
                (**self).model_id()
            }

            fn dim(&self) -> usize {
                (**self).dim()
            }

            fn embed_documents(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
                (**self).embed_documents(texts)
            }

            fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
                (**self).embed_query(text)
            }

            fn embed_queries(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
                (**self).embed_queries(texts)
            }
        }
    )+};
}

forward_embedder!(&E, Box<E>, std::sync::Arc<E>);

/// Why an [`Embedder`] failed.
///
/// Either a message of its own with an optional cause ([`EmbedError::new`],
/// [`EmbedError::with_source`]), or an implementation's own error carried unchanged
/// ([`EmbedError::wrap`]; `ragdiag-embed` converts its `Error` this way). A wrapped error is
/// transparent, as in [`std::io::Error::other`]: its message is the wrapped error's message and
/// its [`source`](Error::source) the wrapped error's source, so an error chain prints nothing
/// twice, and [`downcast_ref`](EmbedError::downcast_ref) gives the wrapped error back.
#[derive(Debug)]
pub struct EmbedError(Repr);

#[derive(Debug)]
enum Repr {
    Message {
        message: String,
        source: Option<BoxError>,
    },
    Wrapped(BoxError),
}

impl EmbedError {
    /// An error with only a message (lower case, no trailing period, like every message here).
    pub fn new(message: impl Into<String>) -> Self {
        Self(Repr::Message {
            message: message.into(),
            source: None,
        })
    }

    /// An error with a message and the error that caused it.
    pub fn with_source(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self(Repr::Message {
            message: message.into(),
            source: Some(source.into()),
        })
    }

    /// An implementation's own error, carried unchanged: shown as `error` is, with its source.
    pub fn wrap(error: impl Into<BoxError>) -> Self {
        Self(Repr::Wrapped(error.into()))
    }

    /// The wrapped error ([`EmbedError::wrap`]); `None` for an error made from a message.
    #[must_use]
    pub fn get_ref(&self) -> Option<&(dyn Error + Send + Sync + 'static)> {
        match &self.0 {
            Repr::Wrapped(e) => Some(&**e),
            Repr::Message { .. } => None,
        }
    }

    /// The wrapped error, when it is a `T`.
    #[must_use]
    pub fn downcast_ref<T: Error + 'static>(&self) -> Option<&T> {
        self.get_ref()?.downcast_ref::<T>()
    }

    /// The wrapped error, when it is a `T`; else the error unchanged.
    ///
    /// # Errors
    ///
    /// `self` when it does not wrap a `T`.
    pub fn downcast<T: Error + 'static>(self) -> Result<T, Self> {
        match self.0 {
            Repr::Wrapped(e) => e
                .downcast::<T>()
                .map(|t| *t)
                .map_err(|e| Self(Repr::Wrapped(e))),
            repr @ Repr::Message { .. } => Err(Self(repr)),
        }
    }
}

impl fmt::Display for EmbedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Message { message, .. } => f.write_str(message),
            Repr::Wrapped(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl Error for EmbedError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.0 {
            Repr::Message { source, .. } => source.as_deref().map(|e| e as &(dyn Error + 'static)),
            Repr::Wrapped(e) => e.source(),
        }
    }
}

/// Cosine similarity of two vectors of the same length (0 when either is zero).
///
/// For the L2-normalised vectors an [`Embedder`] returns this is their dot product. Computed in
/// `f64`.
///
/// # Panics
///
/// When the lengths differ.
#[must_use]
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len(), "cosine of vectors of different lengths");
    let (mut dot, mut na, mut nb) = (0f64, 0f64, 0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na.sqrt() * nb.sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Records each call: `("queries", n)` for one batch of `n` queries, `("query", 1)` for one.
    #[derive(Default)]
    struct Counting {
        calls: Mutex<Vec<(&'static str, usize)>>,
    }

    impl Counting {
        fn take(&self) -> Vec<(&'static str, usize)> {
            std::mem::take(&mut *self.calls.lock().unwrap())
        }
    }

    impl Embedder for Counting {
        fn model_id(&self) -> &str {
            "counting"
        }

        fn dim(&self) -> usize {
            1
        }

        fn embed_documents(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
            self.calls.lock().unwrap().push(("documents", texts.len()));
            Ok(vec![vec![1.0]; texts.len()])
        }

        fn embed_query(&self, _: &str) -> Result<Vec<f32>, EmbedError> {
            self.calls.lock().unwrap().push(("query", 1));
            Ok(vec![1.0])
        }

        fn embed_queries(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
            self.calls.lock().unwrap().push(("queries", texts.len()));
            Ok(vec![vec![1.0]; texts.len()])
        }
    }

    /// Calls every method of `e` and returns what reached the counting embedder underneath.
    fn calls_through(e: &dyn Embedder, counting: &Counting) -> Vec<(&'static str, usize)> {
        assert_eq!((e.model_id(), e.dim()), ("counting", 1));
        assert_eq!(e.embed_queries(&["a", "b", "c"]).unwrap().len(), 3);
        assert_eq!(e.embed_documents(&["a", "b"]).unwrap().len(), 2);
        assert_eq!(e.embed_query("a").unwrap(), vec![1.0]);
        counting.take()
    }

    #[test]
    fn every_wrapper_forwards_every_method() {
        // One batch of three queries, not three single queries.
        let batched = vec![("queries", 3), ("documents", 2), ("query", 1)];
        let counting = Arc::new(Counting::default());
        assert_eq!(calls_through(&*counting, &counting), batched);
        assert_eq!(calls_through(&&*counting, &counting), batched);
        assert_eq!(calls_through(&Arc::clone(&counting), &counting), batched);
        let dyn_arc: Arc<dyn Embedder> = counting.clone();
        assert_eq!(calls_through(&dyn_arc, &counting), batched);
        let boxed: Box<dyn Embedder> = Box::new(Arc::clone(&counting));
        assert_eq!(calls_through(&boxed, &counting), batched);
        let dyn_ref: &dyn Embedder = &*counting;
        assert_eq!(calls_through(&Box::new(dyn_ref), &counting), batched);
        let nested: Arc<Box<&dyn Embedder>> = Arc::new(Box::new(dyn_ref));
        assert_eq!(calls_through(&nested, &counting), batched);
    }

    #[test]
    fn the_provided_embed_queries_embeds_one_query_at_a_time() {
        struct Single;
        impl Embedder for Single {
            fn model_id(&self) -> &str {
                "single"
            }
            fn dim(&self) -> usize {
                1
            }
            fn embed_documents(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
                texts.iter().map(|t| self.embed_query(t)).collect()
            }
            fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
                if text.is_empty() {
                    Err(EmbedError::new("an empty query"))
                } else {
                    Ok(vec![text.len() as f32])
                }
            }
        }
        let got = Arc::new(Single).embed_queries(&["a", "bbb"]).unwrap();
        assert_eq!(got, vec![vec![1.0], vec![3.0]]);
        let err = Single.embed_queries(&["a", ""]).unwrap_err();
        assert_eq!(err.to_string(), "an empty query");
    }

    #[derive(Debug)]
    struct Inner {
        cause: std::io::Error,
    }

    impl fmt::Display for Inner {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("embedding 2 texts with m failed")
        }
    }

    impl Error for Inner {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.cause)
        }
    }

    fn chain(e: &(dyn Error + 'static)) -> Vec<String> {
        let mut out = Vec::new();
        let mut next = Some(e);
        while let Some(e) = next {
            out.push(e.to_string());
            next = e.source();
        }
        out
    }

    #[test]
    fn a_wrapped_error_is_transparent_and_comes_back() {
        let inner = Inner {
            cause: std::io::Error::other("out of memory"),
        };
        let err = EmbedError::wrap(inner);
        assert_eq!(
            chain(&err),
            ["embedding 2 texts with m failed", "out of memory"]
        );
        assert!(err.downcast_ref::<Inner>().is_some());
        assert!(err.downcast_ref::<std::io::Error>().is_none());
        let err = err.downcast::<std::io::Error>().unwrap_err();
        let back: Inner = err.downcast().unwrap();
        assert_eq!(back.cause.to_string(), "out of memory");
    }

    #[test]
    fn a_message_error_keeps_its_source() {
        let err = EmbedError::with_source("the model failed", std::io::Error::other("disk"));
        assert_eq!(chain(&err), ["the model failed", "disk"]);
        assert!(err.get_ref().is_none());
        let err = EmbedError::new("no vectors");
        assert_eq!(chain(&err), ["no vectors"]);
        assert!(err.downcast::<std::io::Error>().is_err());
    }

    #[test]
    fn cosine_of_known_vectors() {
        assert!((cosine(&[1.0, 0.0], &[1.0, 0.0]) - 1.0).abs() < 1e-12);
        assert!(cosine(&[1.0, 0.0], &[0.0, 2.0]).abs() < 1e-12);
        assert!((cosine(&[1.0, 1.0], &[-1.0, -1.0]) + 1.0).abs() < 1e-12);
        assert!(cosine(&[0.0, 0.0], &[1.0, 1.0]).abs() < 1e-12);
    }
}
