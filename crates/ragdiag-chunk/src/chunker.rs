//! [`Chunker`]: a spec and a tokenizer, applied to documents.

use crate::recursive::Recursive;
use crate::text::{CharMap, Graphemes};
use crate::tokenizer::{Cl100k, Tokenizer};
use crate::{markdown, semantic, ChunkerSpec, Error, Result, Strategy, TokenizerChoice};
use ragdiag_core::{Chunk, Document, Embedder};
use rayon::prelude::*;
use std::ops::Range;
use std::sync::Arc;
use unicode_segmentation::UnicodeSegmentation;

/// A chunk's byte span, its context, and its token count when the strategy knows it.
type Span = (Range<usize>, Option<String>, Option<usize>);

/// The token budget of the small pieces the semantic chunker groups (Chroma's 50).
pub const SEMANTIC_PIECE_TOKENS: usize = 50;

/// The version of the chunkers' output: bumped whenever a spec may cut differently than it
/// did, so that indexes cached under a spec's name are rebuilt rather than reused.
///
/// 2: `semantic:` chunks hold at most `size / 50` pieces, as Chroma's chunker.
pub const CHUNKER_VERSION: u32 = 2;

/// One chunk with what the chunker knows about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkOut {
    /// The span, in code points of the document's text.
    pub chunk: Chunk,
    /// The same span in bytes of the document's text: `&text[bytes]` is `chunk.slice(text)`.
    /// Slice chunks with it: converting each chunk's code points back to bytes scans the text
    /// from its start, which over a long document's many chunks is quadratic in its length.
    pub bytes: Range<usize>,
    /// Context that belongs to the chunk but lies outside its span: the Markdown heading path
    /// (`Billing > Refunds`). `None` for other strategies and before the first heading.
    pub context: Option<String>,
    /// Tokens of the chunk's text counted alone by the spec's tokenizer; for `tokens:` chunks,
    /// the window's length (counting a window's text alone can differ by a token at its edges).
    pub tokens: usize,
}

/// A chunker: a [`ChunkerSpec`] with the tokenizer that measures its sizes.
///
/// Every strategy is deterministic and keeps these invariants, for any text:
/// - chunks are non-empty, ordered by start (and by end), and `start..end` are code-point
///   offsets into the text, so `chunk.slice(text)` is the chunk's exact text;
/// - no chunk boundary falls inside a grapheme cluster;
/// - every non-whitespace character lies in some chunk;
/// - with no overlap (`doc`, `tokens:N/0`, `recursive:N/0`, `sentence`, `markdown`,
///   `semantic`), chunks do not overlap and the text between consecutive chunks (and before the
///   first and after the last) is whitespace, except for `tokens:N/0`, where it is whatever the
///   tokenizer skips (nothing for cl100k; for WordPiece, whitespace and the control characters
///   its normaliser drops);
/// - `doc` is the whole text, untrimmed; the other strategies start and end chunks on
///   non-whitespace (except `tokens:`, whose chunks start and end where tokens do).
pub struct Chunker {
    spec: ChunkerSpec,
    tokenizer: Arc<dyn Tokenizer>,
}

impl std::fmt::Debug for Chunker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chunker")
            .field("spec", &self.spec.to_string())
            .field("tokenizer", &self.tokenizer.name())
            .finish()
    }
}

impl Chunker {
    /// A chunker measuring sizes with `tokenizer`, which should be the one the spec names
    /// (see [`Chunker::for_spec`], which picks it).
    pub fn new(spec: ChunkerSpec, tokenizer: Arc<dyn Tokenizer>) -> Self {
        Chunker { spec, tokenizer }
    }

    /// A chunker with the tokenizer the spec names: [`Cl100k`] for `@cl100k`, else `model`
    /// (the embedding model's tokenizer, e.g. a [`ModelTokenizer`](crate::ModelTokenizer)).
    ///
    /// # Errors
    ///
    /// [`Error::NoModelTokenizer`] when the spec counts model tokens and `model` is `None`.
    pub fn for_spec(spec: ChunkerSpec, model: Option<Arc<dyn Tokenizer>>) -> Result<Self> {
        let tokenizer: Arc<dyn Tokenizer> = match (spec.tokenizer, model) {
            (TokenizerChoice::Cl100k, _) => Arc::new(Cl100k::new()),
            (TokenizerChoice::Model, Some(m)) => m,
            (TokenizerChoice::Model, None) => {
                return Err(Error::NoModelTokenizer {
                    spec: spec.to_string(),
                })
            }
        };
        Ok(Chunker::new(spec, tokenizer))
    }

    /// The spec.
    pub fn spec(&self) -> &ChunkerSpec {
        &self.spec
    }

    /// The tokenizer that measures sizes.
    pub fn tokenizer(&self) -> &dyn Tokenizer {
        &*self.tokenizer
    }

    /// Chunks one document's `text`. `embedder` is needed by `semantic:` only.
    ///
    /// # Errors
    ///
    /// When the tokenizer or the embedder fails, or a `semantic:` spec has no embedder.
    pub fn chunk(
        &self,
        doc_id: &str,
        text: &str,
        embedder: Option<&dyn Embedder>,
    ) -> Result<Vec<ChunkOut>> {
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let g = Graphemes::new(text);
        let tok = &*self.tokenizer;
        // Byte spans with their context and, when already known, their token count.
        let spans: Vec<Span> = match self.spec.strategy {
            Strategy::Doc => vec![(0..text.len(), None, None)],
            Strategy::Tokens { size, overlap } => {
                token_windows(&g, tok, 0..text.len(), size, overlap)?
                    .into_iter()
                    .map(|(r, n)| (r, None, Some(n)))
                    .collect()
            }
            Strategy::Recursive { size, overlap } => Recursive {
                g: &g,
                tok,
                size,
                overlap,
            }
            .split(0..text.len())?
            .into_iter()
            .map(|r| (r, None, None))
            .collect(),
            Strategy::Sentence { size } => sentences(&g, tok, size)?
                .into_iter()
                .map(|(r, n)| (r, None, n))
                .collect(),
            Strategy::Markdown { size } => markdown_chunks(&g, tok, size)?,
            Strategy::Semantic { size } => {
                let Some(embedder) = embedder else {
                    return Err(Error::NoEmbedder {
                        spec: self.spec.to_string(),
                    });
                };
                semantic_chunks(&g, tok, size, embedder, doc_id)?
                    .into_iter()
                    .map(|(r, n)| (r, None, Some(n)))
                    .collect()
            }
        };
        let offsets = spans
            .iter()
            .flat_map(|(r, _, _)| [r.start, r.end])
            .collect();
        let map = CharMap::new(text, offsets);
        let counts: Vec<usize> = spans
            .par_iter()
            .map(|(r, _, n)| match n {
                Some(n) => Ok(*n),
                None => tok.count(&text[r.clone()]),
            })
            .collect::<Result<_>>()?;
        let mut out = Vec::with_capacity(spans.len());
        for (i, ((r, context, _), tokens)) in spans.into_iter().zip(counts).enumerate() {
            debug_assert!(r.start < r.end, "empty chunk");
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            out.push(ChunkOut {
                chunk: Chunk::new(doc_id, index, map.get(r.start), map.get(r.end)),
                bytes: r,
                context,
                tokens,
            });
        }
        Ok(out)
    }

    /// Chunks every document, in parallel (rayon), returning the chunks in document order and,
    /// within a document, in text order. Deterministic whatever the thread count.
    ///
    /// # Errors
    ///
    /// The first error in document order.
    pub fn chunk_corpus(
        &self,
        docs: &[Document],
        embedder: Option<&dyn Embedder>,
    ) -> Result<Vec<ChunkOut>> {
        let per_doc: Vec<Vec<ChunkOut>> = docs
            .par_iter()
            .map(|d| self.chunk(&d.id, &d.text, embedder))
            .collect::<Result<_>>()?;
        Ok(per_doc.into_iter().flatten().collect())
    }
}

/// Token windows over `range`: `size` tokens stepping `size - overlap`, each spanning its
/// first token's start to its last token's end, widened to whole grapheme clusters.
fn token_windows(
    g: &Graphemes<'_>,
    tok: &dyn Tokenizer,
    range: Range<usize>,
    size: usize,
    overlap: usize,
) -> Result<Vec<(Range<usize>, usize)>> {
    let spans = tok.token_spans(&g.text()[range.clone()])?;
    let mut out: Vec<(Range<usize>, usize)> = Vec::new();
    let step = size - overlap;
    let mut start = 0usize;
    while start < spans.len() {
        let end = (start + size).min(spans.len());
        let window = &spans[start..end];
        let lo = window.iter().map(|r| r.start).min().unwrap_or(0) + range.start;
        let hi = window.iter().map(|r| r.end).max().unwrap_or(0) + range.start;
        let (mut lo, hi) = (g.floor(lo), g.ceil(hi));
        if let Some((prev, _)) = out.last() {
            // Widening to clusters can make windows meet inside a cluster that tokens cut (an
            // emoji is several byte-level tokens): without overlap, a window starts where the
            // previous one ended, and a window left empty (or, with overlap, repeated) is
            // dropped, its tokens being inside the previous window.
            if overlap == 0 {
                lo = lo.max(prev.end);
            }
            if *prev == (lo..hi) {
                lo = hi;
            }
        }
        if hi > lo {
            out.push((lo..hi, end - start));
        }
        if end == spans.len() {
            break;
        }
        start += step;
    }
    Ok(out)
}

/// Sentences (UAX #29) packed greedily up to `size` tokens; a longer sentence becomes token
/// windows of `size` tokens.
fn sentences(
    g: &Graphemes<'_>,
    tok: &dyn Tokenizer,
    size: usize,
) -> Result<Vec<(Range<usize>, Option<usize>)>> {
    let text = g.text();
    let mut out = Vec::new();
    let mut current: Option<(Range<usize>, usize)> = None;
    let mut bounds: Vec<usize> = text
        .split_sentence_bound_indices()
        .map(|(i, _)| g.floor(i))
        .collect();
    bounds.push(text.len());
    bounds.dedup();
    for w in bounds.windows(2) {
        let Some(sentence) = g.trim(w[0]..w[1]) else {
            continue;
        };
        let n = tok.count(&text[sentence.clone()])?;
        if let Some((cur, total)) = &mut current {
            if *total + n <= size {
                cur.end = sentence.end;
                *total += n;
                continue;
            }
            out.push((cur.clone(), None));
            current = None;
        }
        if n > size {
            // Byte-level BPE tokens carry their leading space: trim each window.
            out.extend(
                token_windows(g, tok, sentence, size, 0)?
                    .into_iter()
                    .filter_map(|(r, n)| Some((g.trim(r)?, Some(n)))),
            );
        } else {
            current = Some((sentence, n));
        }
    }
    if let Some((cur, _)) = current {
        out.push((cur, None));
    }
    Ok(out)
}

/// Heading sections, trimmed; sections over `size` tokens are split recursively.
fn markdown_chunks(g: &Graphemes<'_>, tok: &dyn Tokenizer, size: usize) -> Result<Vec<Span>> {
    let mut out = Vec::new();
    for section in markdown::sections(g.text()) {
        let range = g.floor(section.range.start)..g.ceil(section.range.end);
        let Some(range) = g.trim(range) else {
            continue;
        };
        let context = (!section.path.is_empty()).then(|| section.path.join(" > "));
        let n = tok.count(&g.text()[range.clone()])?;
        if n <= size {
            out.push((range, context, Some(n)));
            continue;
        }
        let parts = Recursive {
            g,
            tok,
            size,
            overlap: 0,
        }
        .split(range)?;
        out.extend(parts.into_iter().map(|r| (r, context.clone(), None)));
    }
    Ok(out)
}

/// The most pieces a `semantic:` chunk of `size` tokens holds: Chroma's `size / 50`, at least 1.
fn max_pieces(size: usize) -> usize {
    (size / SEMANTIC_PIECE_TOKENS).max(1)
}

/// Pieces of at most [`SEMANTIC_PIECE_TOKENS`] tokens (recursive splitter), embedded and
/// grouped by [`semantic::segment`].
fn semantic_chunks(
    g: &Graphemes<'_>,
    tok: &dyn Tokenizer,
    size: usize,
    embedder: &dyn Embedder,
    doc_id: &str,
) -> Result<Vec<(Range<usize>, usize)>> {
    let pieces = Recursive {
        g,
        tok,
        size: SEMANTIC_PIECE_TOKENS.min(size),
        overlap: 0,
    }
    .split(0..g.text().len())?;
    if pieces.is_empty() {
        return Ok(Vec::new());
    }
    let texts: Vec<&str> = pieces.iter().map(|r| &g.text()[r.clone()]).collect();
    let tokens = texts
        .iter()
        .map(|t| tok.count(t))
        .collect::<Result<Vec<usize>>>()?;
    let vectors = if pieces.len() == 1 {
        Vec::new()
    } else {
        embedder
            .embed_documents(&texts)
            .map_err(|source| Error::Embed {
                doc_id: doc_id.to_owned(),
                source,
            })?
    };
    if pieces.len() == 1 {
        return Ok(vec![(pieces[0].clone(), tokens[0])]);
    }
    if vectors.len() != pieces.len() {
        return Err(Error::EmbedCount {
            doc_id: doc_id.to_owned(),
            texts: pieces.len(),
            vectors: vectors.len(),
        });
    }
    let mut out = Vec::new();
    for (a, b) in semantic::segment(&tokens, &vectors, size, max_pieces(size)) {
        let r = pieces[a].start..pieces[b].end;
        let n = tok.count(&g.text()[r.clone()])?;
        out.push((r, n));
    }
    Ok(out)
}
