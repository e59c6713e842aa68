//! The ranking, the candidate pool and the context window of one question.

use crate::config::Config;
use crate::corpus::Corpus;
use crate::input::{QueryInput, RetrievedItem};
use crate::types::Mode;

/// One pool item with its rank and document index.
pub(super) struct PoolItem<'i> {
    pub(super) item: &'i RetrievedItem,
    /// Rank in the ranking (1-based); `None` for a candidate that is not in the ranking.
    pub(super) rank: Option<usize>,
    pub(super) doc: Option<usize>,
}

/// The candidate pool: the ranking (replay: its top `pool_k`), then, in trace mode, the
/// candidates that are not in it. The window is the top `context_k` of the ranking.
pub(super) struct Pool<'i> {
    /// The ranked items (ranks 1, 2, …) first, then the unranked candidates.
    pub(super) items: Vec<PoolItem<'i>>,
    window_len: usize,
}

impl<'i> Pool<'i> {
    pub(super) fn new(corpus: &Corpus<'_>, input: &'i QueryInput<'_>, cfg: &Config<'_>) -> Self {
        let ranking: &[RetrievedItem] = match cfg.mode {
            Mode::Replay => &input.retrieved[..input.retrieved.len().min(cfg.pool_k)],
            Mode::Trace => &input.retrieved,
        };
        let mut items: Vec<PoolItem<'i>> = ranking
            .iter()
            .enumerate()
            .map(|(i, item)| PoolItem {
                item,
                rank: Some(i + 1),
                doc: corpus.index(&item.doc),
            })
            .collect();
        let window_len = items.len().min(cfg.context_k);
        if let (Mode::Trace, Some(cands)) = (cfg.mode, input.candidates.as_ref()) {
            for c in cands {
                if !items.iter().any(|p| same_item(p.item, c)) {
                    items.push(PoolItem {
                        item: c,
                        rank: None,
                        doc: corpus.index(&c.doc),
                    });
                }
            }
        }
        Pool { items, window_len }
    }

    /// The number of distinct items in the pool.
    pub(super) fn len(&self) -> usize {
        self.items.len()
    }

    /// The context window: the ranked items of rank ≤ `context_k`, in rank order.
    pub(super) fn window(&self) -> &[PoolItem<'i>] {
        &self.items[..self.window_len]
    }
}

/// A candidate is the same item as a ranked one: same document, and same span (or, without
/// spans, same text).
fn same_item(a: &RetrievedItem, b: &RetrievedItem) -> bool {
    a.doc == b.doc
        && match (a.span, b.span, a.text.as_deref(), b.text.as_deref()) {
            (Some(x), Some(y), _, _) => x == y,
            (_, _, Some(x), Some(y)) => x == y,
            _ => false,
        }
}

/// The text the generator saw for an item.
pub(super) fn item_text<'a>(
    corpus: &Corpus<'a>,
    item: &'a RetrievedItem,
    doc: Option<usize>,
) -> &'a str {
    if let Some(t) = item.text.as_deref() {
        return t;
    }
    match (doc, item.span) {
        (Some(d), Some((s, e))) => corpus.slice(d, s, e),
        (Some(d), None) => &corpus.doc(d).text,
        (None, _) => "",
    }
}

/// The key of an item's text in the run's [`Texts`](crate::texts::Texts): its document and
/// span (`None` for an item without either: its text is tokenised for itself).
pub(super) fn text_key(
    item: &RetrievedItem,
    doc: Option<usize>,
) -> Option<(usize, (usize, usize))> {
    doc.zip(item.span)
}
