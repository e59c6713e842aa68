//! LangChain's `RecursiveCharacterTextSplitter` as Chroma's chunking study configured it
//! (separators `\n\n`, `\n`, `.`, `?`, `!`, space, then single characters; `keep_separator`
//! and `strip_whitespace` on), computed on byte ranges of the document so that every chunk
//! keeps its exact offsets.
//!
//! The algorithm, step by step as LangChain runs it:
//! 1. take the first separator that occurs in the text (the empty separator always "occurs");
//! 2. cut the text before each occurrence, so each piece but the first starts with the
//!    separator (the empty separator cuts every character);
//! 3. pieces of fewer than `size` tokens (each counted on its own) are collected; a piece of
//!    `size` tokens or more first flushes the collected pieces through the merge, then is split
//!    recursively with the remaining separators (or kept whole when none remain);
//! 4. the merge packs consecutive pieces while their summed token counts stay within `size`,
//!    emits the run (stripped of surrounding whitespace, dropped when nothing is left), then
//!    drops pieces from its front until at most `overlap` tokens remain and the next piece fits.
//!
//! Two deliberate differences keep offsets meaningful: a cut never falls inside a grapheme
//! cluster (an occurrence of `\n` inside `\r\n` cuts before the `\r`; the empty separator cuts
//! clusters, not code points), and whitespace is stripped by whole clusters. A single cluster
//! of `size` tokens or more, which LangChain emits unstripped, is stripped too (this matters
//! only for whitespace clusters at sizes of a token or two). Otherwise, on text without
//! multi-code-point clusters, the chunks are exactly LangChain's.

use crate::text::Graphemes;
use crate::tokenizer::Tokenizer;
use crate::Result;
use rayon::prelude::*;
use std::collections::VecDeque;
use std::ops::Range;

/// The separators of Chroma's study, in the order they are tried.
pub(crate) const SEPARATORS: [&str; 7] = ["\n\n", "\n", ".", "?", "!", " ", ""];

/// A recursive splitter over one document.
pub(crate) struct Recursive<'a> {
    pub(crate) g: &'a Graphemes<'a>,
    pub(crate) tok: &'a dyn Tokenizer,
    pub(crate) size: usize,
    pub(crate) overlap: usize,
}

impl Recursive<'_> {
    /// Splits `range` (whose ends are cluster boundaries) into chunk byte ranges, in order.
    pub(crate) fn split(&self, range: Range<usize>) -> Result<Vec<Range<usize>>> {
        let mut out = Vec::new();
        self.split_with(range, &SEPARATORS, &mut out)?;
        Ok(out)
    }

    fn split_with(
        &self,
        range: Range<usize>,
        separators: &[&str],
        out: &mut Vec<Range<usize>>,
    ) -> Result<()> {
        let text = &self.g.text()[range.clone()];
        let mut separator = "";
        let mut rest: &[&str] = &[];
        for (i, &s) in separators.iter().enumerate() {
            if s.is_empty() {
                break;
            }
            if text.contains(s) {
                separator = s;
                rest = &separators[i + 1..];
                break;
            }
        }
        let pieces = self.pieces(range, separator);
        // A piece that is surely too long is split without being counted (its count is only
        // compared with `size`); `usize::MAX` marks it.
        let count = |p: &Range<usize>| {
            let t = &self.g.text()[p.clone()];
            if !rest.is_empty() && self.tok.at_least(t) >= self.size {
                return Ok(usize::MAX);
            }
            self.tok.count(t)
        };
        // Counting dominates: count many pieces in parallel (the result is the same).
        let counts: Vec<usize> = if pieces.len() >= 64 {
            pieces.par_iter().map(count).collect::<Result<_>>()?
        } else {
            pieces.iter().map(count).collect::<Result<_>>()?
        };
        let mut good: Vec<(Range<usize>, usize)> = Vec::new();
        for (piece, n) in pieces.into_iter().zip(counts) {
            if n < self.size {
                good.push((piece, n));
                continue;
            }
            if !good.is_empty() {
                self.merge(&good, out);
                good.clear();
            }
            if rest.is_empty() {
                // A single cluster of `size` tokens or more. LangChain keeps it unstripped;
                // whitespace chunks are of no use, so it is trimmed like every other chunk.
                out.extend(self.g.trim(piece));
            } else {
                self.split_with(piece, rest, out)?;
            }
        }
        if !good.is_empty() {
            self.merge(&good, out);
        }
        Ok(())
    }

    /// Cuts `range` before each occurrence of `separator` (moved back to the start of the
    /// cluster it falls in); the empty separator cuts every cluster. No piece is empty.
    fn pieces(&self, range: Range<usize>, separator: &str) -> Vec<Range<usize>> {
        if separator.is_empty() {
            return self.g.clusters(range);
        }
        let text = &self.g.text()[range.clone()];
        let mut pieces = Vec::new();
        let mut start = range.start;
        for (i, _) in text.match_indices(separator) {
            let cut = self.g.floor(range.start + i);
            if cut > start {
                pieces.push(start..cut);
                start = cut;
            }
        }
        if range.end > start {
            pieces.push(start..range.end);
        }
        pieces
    }

    /// LangChain's `_merge_splits` with an empty joiner: the pieces are contiguous, so a run of
    /// them is one byte range.
    fn merge(&self, splits: &[(Range<usize>, usize)], out: &mut Vec<Range<usize>>) {
        let mut current: VecDeque<(Range<usize>, usize)> = VecDeque::new();
        let mut total = 0usize;
        for (piece, len) in splits {
            if total + len > self.size {
                if let (Some(first), Some(last)) = (current.front(), current.back()) {
                    if let Some(r) = self.g.trim(first.0.start..last.0.end) {
                        out.push(r);
                    }
                    while total > self.overlap || (total + len > self.size && total > 0) {
                        let Some((_, n)) = current.pop_front() else {
                            break;
                        };
                        total -= n;
                    }
                }
            }
            current.push_back((piece.clone(), *len));
            total += len;
        }
        if let (Some(first), Some(last)) = (current.front(), current.back()) {
            if let Some(r) = self.g.trim(first.0.start..last.0.end) {
                out.push(r);
            }
        }
    }
}
