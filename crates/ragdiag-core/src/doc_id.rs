//! [`DocId`]: a document id shared, not copied, by every item that names the document.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A document id held once and shared: a clone is a reference count, not a copy of the text.
/// A diagnosis names each retrieved document several times per question (its ranked items,
/// its context window, its stale hits); with ids of real corpora (URLs, paths) those copies
/// were a large part of the memory a long trace takes. Compares, hashes, orders, prints and
/// serialises as the text it holds.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocId(Arc<str>);

impl DocId {
    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for DocId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for DocId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for DocId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for DocId {
    fn from(s: &str) -> Self {
        DocId(Arc::from(s))
    }
}

impl From<String> for DocId {
    fn from(s: String) -> Self {
        DocId(Arc::from(s))
    }
}

impl From<&String> for DocId {
    fn from(s: &String) -> Self {
        DocId(Arc::from(s.as_str()))
    }
}

impl From<DocId> for String {
    fn from(d: DocId) -> Self {
        d.0.as_ref().to_owned()
    }
}

impl PartialEq<str> for DocId {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for DocId {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for DocId {
    fn eq(&self, other: &String) -> bool {
        &*self.0 == other.as_str()
    }
}

impl PartialEq<DocId> for String {
    fn eq(&self, other: &DocId) -> bool {
        self.as_str() == &*other.0
    }
}

impl PartialEq<DocId> for str {
    fn eq(&self, other: &DocId) -> bool {
        self == &*other.0
    }
}

impl PartialEq<DocId> for &str {
    fn eq(&self, other: &DocId) -> bool {
        *self == &*other.0
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for DocId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DocId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(DocId::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clone_shares_the_text_and_compares_as_it() {
        let a = DocId::from("https://example.com/docs/page");
        let b = a.clone();
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        assert_eq!(a, "https://example.com/docs/page");
        assert_eq!(a, "https://example.com/docs/page".to_owned());
        assert_eq!(
            format!("{a} {a:?}"),
            "https://example.com/docs/page \"https://example.com/docs/page\""
        );
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            "\"https://example.com/docs/page\""
        );
        let back: DocId = serde_json::from_str("\"x\"").unwrap();
        assert_eq!(back, "x");
        let mut ids = [DocId::from("b"), DocId::from("a")];
        ids.sort();
        assert_eq!(ids, [DocId::from("a"), DocId::from("b")]);
    }
}
