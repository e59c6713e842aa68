//! A labeller's grade of one (question, document) pair, as the labelling page exports it and
//! `ragdiag labels import` reads it.

/// One labeller's grade of one (question, document) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The question.
    pub query_id: String,
    /// The document.
    pub doc: String,
    /// The grade (0 judged not relevant).
    pub grade: i64,
    /// Who labelled it.
    pub labeller: String,
    /// When (as written by the labelling page: an RFC 3339 instant).
    pub labelled_at: Option<String>,
    /// The content hash of the document text as it was labelled (`sha256:HEX` of its text).
    pub doc_hash: Option<String>,
    /// The labeller's note.
    pub note: Option<String>,
}
