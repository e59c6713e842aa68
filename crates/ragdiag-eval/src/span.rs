//! Span metrics for chunking, as Chroma's chunking evaluation computes them: recall,
//! precision, IoU and precision-Ω over code-point ranges of one document space.
//!
//! All ranges are half-open `start..end` in code points of one text (Chroma evaluates each
//! question within its corpus, so callers pass only the retrieved chunks of the question's
//! document). Following Chroma's `evaluation_utils` and `BaseEvaluation` exactly:
//!
//! - a chunk and a reference *meet* when `max(starts) <= min(ends)`: ranges that only touch
//!   meet (with an empty intersection);
//! - the *highlighted* part is the union of the intersections of retrieved chunks with
//!   references, and its length is the numerator of every metric;
//! - **recall** = highlighted / the summed lengths of the references;
//! - **precision** = highlighted / the summed lengths of the retrieved chunks (a sum, not a
//!   union: overlapping chunks count their shared text twice, as in Chroma);
//! - **IoU** = highlighted / (summed lengths of the retrieved chunks + the reference text no
//!   retrieved chunk covers);
//! - **precision-Ω** (the best precision any retrieval could reach with these chunks) =
//!   highlighted by *all* chunks that meet a reference / the union of those chunks and the
//!   reference text none of them covers; 0 when no chunk meets a reference.
//!
//! Chroma divides by zero when a question has no reference text or nothing is retrieved; here
//! such a ratio is 0. Reference lengths are summed as given, so overlapping references count
//! their shared text twice in recall's denominator, as in Chroma.

use std::ops::Range;

/// The four span metrics of one question.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpanScores {
    /// Share of the reference text that the retrieved chunks cover.
    pub recall: f64,
    /// Share of the retrieved text that is reference text.
    pub precision: f64,
    /// Highlighted text over retrieved text plus uncovered reference text.
    pub iou: f64,
    /// The precision an oracle retrieving exactly the chunks that meet a reference would get
    /// (see the module docs); it depends on the chunking only.
    pub precision_omega: f64,
}

/// Merges overlapping or touching ranges into a sorted list of disjoint ranges (empty ranges
/// merge into their neighbours; a lone empty range stays and has length 0).
pub fn union_ranges(ranges: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut sorted: Vec<Range<usize>> = ranges.to_vec();
    sorted.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<Range<usize>> = Vec::with_capacity(sorted.len());
    for r in sorted {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

fn total(ranges: &[Range<usize>]) -> usize {
    ranges.iter().map(|r| r.end.saturating_sub(r.start)).sum()
}

/// The intersection of two ranges when they meet (touching ranges give an empty one).
fn meet(a: &Range<usize>, b: &Range<usize>) -> Option<Range<usize>> {
    let start = a.start.max(b.start);
    let end = a.end.min(b.end);
    (start <= end).then_some(start..end)
}

/// `ranges` minus `cut`.
fn subtract(ranges: &[Range<usize>], cut: &Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::with_capacity(ranges.len() + 1);
    for r in ranges {
        if r.end < cut.start || r.start > cut.end {
            out.push(r.clone());
            continue;
        }
        if r.start < cut.start {
            out.push(r.start..cut.start);
        }
        if r.end > cut.end {
            out.push(cut.end..r.end);
        }
    }
    out
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        #[allow(clippy::cast_precision_loss)]
        let r = num as f64 / den as f64;
        r
    }
}

/// What a set of chunks highlights of the references: the union of intersections, and the
/// reference text left uncovered (as a list of ranges, possibly overlapping when references
/// overlap).
fn highlight(chunks: &[Range<usize>], references: &[Range<usize>]) -> Highlight {
    let mut hit = Vec::new();
    let mut unused: Vec<Range<usize>> = references.to_vec();
    let mut meeting = Vec::new();
    for c in chunks {
        let mut met = false;
        for r in references {
            if let Some(i) = meet(c, r) {
                met = true;
                unused = subtract(&unused, &i);
                hit.push(i);
            }
        }
        if met {
            meeting.push(c.clone());
        }
    }
    Highlight {
        hit: union_ranges(&hit),
        unused,
        meeting,
    }
}

/// What [`highlight`] finds.
struct Highlight {
    /// The union of the chunks' intersections with the references.
    hit: Vec<Range<usize>>,
    /// Reference text no chunk covers.
    unused: Vec<Range<usize>>,
    /// The chunks that meet a reference.
    meeting: Vec<Range<usize>>,
}

/// Recall, precision and IoU of `retrieved` (the chunks retrieved for one question, in any
/// order) against `references`, with precision-Ω from `all_chunks` (every chunk of the
/// document). See the module docs for the definitions.
///
/// ```
/// use ragdiag_eval::span::span_scores;
/// // A 10-character reference; one retrieved chunk covers its first half and 15 more.
/// let s = span_scores(&[0..20], &[15..25], &[0..20, 20..40]);
/// assert_eq!(s.recall, 0.5);
/// assert_eq!(s.precision, 0.25);
/// assert_eq!(s.iou, 5.0 / 25.0);
/// assert_eq!(s.precision_omega, 10.0 / 40.0);
/// ```
pub fn span_scores(
    retrieved: &[Range<usize>],
    references: &[Range<usize>],
    all_chunks: &[Range<usize>],
) -> SpanScores {
    let (recall, precision, iou) = retrieval_scores(retrieved, references);
    SpanScores {
        recall,
        precision,
        iou,
        precision_omega: precision_omega(all_chunks, references),
    }
}

/// Recall, precision and IoU of `retrieved` against `references` (module docs).
pub fn retrieval_scores(
    retrieved: &[Range<usize>],
    references: &[Range<usize>],
) -> (f64, f64, f64) {
    let Highlight { hit, unused, .. } = highlight(retrieved, references);
    let numerator = total(&hit);
    let retrieved_len = total(retrieved);
    let recall = ratio(numerator, total(references));
    let precision = ratio(numerator, retrieved_len);
    let iou = ratio(numerator, retrieved_len + total(&unused));
    (recall, precision, iou)
}

/// Precision-Ω of a chunking for one question: the chunks of `all_chunks` that meet a
/// reference, scored as Chroma's `_full_precision_score` does (module docs).
pub fn precision_omega(all_chunks: &[Range<usize>], references: &[Range<usize>]) -> f64 {
    let Highlight {
        hit,
        unused,
        meeting,
    } = highlight(all_chunks, references);
    if hit.is_empty() {
        return 0.0;
    }
    let mut denominator = meeting;
    denominator.extend(unused);
    ratio(total(&hit), total(&union_ranges(&denominator)))
}

/// How many chunks of `all_chunks` meet a reference: Chroma's retrieval depth when it
/// retrieves "as many chunks as the evidence needs" (`retrieve=-1`, capped at 20 there).
pub fn chunks_meeting(all_chunks: &[Range<usize>], references: &[Range<usize>]) -> usize {
    all_chunks
        .iter()
        .filter(|c| references.iter().any(|r| meet(c, r).is_some()))
        .count()
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)] // One-range slices are the point of many cases.
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn union_merges_overlapping_and_touching() {
        assert_eq!(union_ranges(&[5..8, 0..2, 2..3, 7..10]), vec![0..3, 5..10]);
        assert!(union_ranges(&[]).is_empty());
    }

    #[test]
    fn hand_computed_cases() {
        // Two references (10 + 10 chars); chunks of 20 chars each.
        let refs = [5..15, 45..55];
        let chunks = [0..20, 20..40, 40..60];
        // Retrieve the first chunk only: covers the first reference whole.
        let (r, p, iou) = retrieval_scores(&[0..20], &refs);
        assert_eq!(r, 10.0 / 20.0);
        assert_eq!(p, 10.0 / 20.0);
        // Denominator: 20 retrieved + 10 uncovered reference characters.
        assert_eq!(iou, 10.0 / 30.0);
        // Retrieve all three: precision is diluted by the middle chunk.
        let (r, p, iou) = retrieval_scores(&chunks, &refs);
        assert_eq!((r, p, iou), (1.0, 20.0 / 60.0, 20.0 / 60.0));
        // Precision-Ω uses the two chunks that meet a reference.
        assert_eq!(precision_omega(&chunks, &refs), 20.0 / 40.0);
        assert_eq!(chunks_meeting(&chunks, &refs), 2);
        // Nothing retrieved, or nothing relevant.
        assert_eq!(retrieval_scores(&[], &refs), (0.0, 0.0, 0.0));
        assert_eq!(retrieval_scores(&[20..40], &refs), (0.0, 0.0, 0.0));
        assert_eq!(precision_omega(&[20..40], &refs), 0.0);
    }

    #[test]
    fn overlapping_chunks_count_twice_in_precision() {
        // Chroma sums the retrieved lengths: two overlapping windows over one reference.
        let (r, p, iou) = retrieval_scores(&[0..10, 5..15], &[5..10]);
        assert_eq!(r, 1.0);
        assert_eq!(p, 5.0 / 20.0);
        assert_eq!(iou, 5.0 / 20.0);
    }

    #[test]
    fn touching_chunks_meet() {
        // The chunk 0..5 only touches the reference 5..10: it meets it with an empty
        // intersection, so precision-Ω counts it in its denominator, as Chroma does.
        assert_eq!(precision_omega(&[0..5, 5..10], &[5..10]), 5.0 / 10.0);
        assert_eq!(chunks_meeting(&[0..5, 5..10, 11..12], &[5..10]), 2);
        let s = span_scores(&[0..5], &[5..10], &[0..5, 5..10]);
        assert_eq!((s.recall, s.precision, s.iou), (0.0, 0.0, 0.0));
    }

    #[test]
    fn partial_cover_of_a_reference() {
        // Reference 10..30 (20 chars); chunk 0..20 covers 10 of them.
        let s = span_scores(&[0..20], &[10..30], &[0..20, 20..40]);
        assert_eq!(s.recall, 0.5);
        assert_eq!(s.precision, 0.5);
        assert_eq!(s.iou, 10.0 / 30.0);
        assert_eq!(s.precision_omega, 20.0 / 40.0);
    }

    fn range() -> impl Strategy<Value = Range<usize>> {
        (0usize..200, 1usize..60).prop_map(|(s, l)| s..s + l)
    }

    fn disjoint(ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
        // Disjoint, non-touching references, as Chroma's data has.
        let mut out: Vec<Range<usize>> = Vec::new();
        for r in union_ranges(&ranges) {
            if out.last().is_none_or(|l| r.start > l.end) {
                out.push(r);
            }
        }
        out
    }

    proptest! {
        #[test]
        fn metrics_are_bounded_and_consistent(
            retrieved in proptest::collection::vec(range(), 0..6),
            refs in proptest::collection::vec(range(), 1..4),
            extra in proptest::collection::vec(range(), 0..6),
        ) {
            let refs = disjoint(refs);
            let mut all = retrieved.clone();
            all.extend(extra);
            let s = span_scores(&retrieved, &refs, &all);
            for v in [s.recall, s.precision, s.iou, s.precision_omega] {
                prop_assert!((0.0..=1.0).contains(&v), "{s:?}");
            }
            // IoU's denominator is at least each of recall's and precision's.
            prop_assert!(s.iou <= s.recall + 1e-12 && s.iou <= s.precision + 1e-12, "{s:?}");
            // Anything highlighted is seen by all three.
            prop_assert_eq!(s.recall > 0.0, s.precision > 0.0);
            prop_assert_eq!(s.recall > 0.0, s.iou > 0.0);
            // Retrieving every chunk covers whatever the chunks cover.
            let (r_all, _, _) = retrieval_scores(&all, &refs);
            prop_assert!(r_all + 1e-12 >= s.recall);
            // Order does not matter.
            let mut rev = retrieved.clone();
            rev.reverse();
            prop_assert_eq!(retrieval_scores(&rev, &refs), retrieval_scores(&retrieved, &refs));
        }

        #[test]
        fn exact_chunks_score_one(refs in proptest::collection::vec(range(), 1..4)) {
            // Chunks equal to the references: every metric is 1.
            let refs = disjoint(refs);
            let s = span_scores(&refs, &refs, &refs);
            prop_assert_eq!((s.recall, s.precision, s.iou, s.precision_omega), (1.0, 1.0, 1.0, 1.0));
        }
    }
}
