//! The review queue: questions whose outcome a person should check, because the system's top
//! score sits near the chosen floor, or because their class rests on a weak signal (evidence
//! found only by the normalised quote match, an answer F1 or a sentence's grounded token share
//! close to its threshold).

use crate::threshold::Outcome;
use crate::Briefs;
use ragdiag_contract::{Review, ReviewItem};
use std::collections::BTreeMap;

/// The band around the floor: this share of the range of the top scores, on each side.
pub const BAND_SHARE: f64 = 0.05;
/// An answer F1 or grounded token share this close to its threshold is borderline.
pub const MARGIN: f64 = 0.1;

/// What the queue is built from besides the briefs (whose signals carry the thresholds they
/// were taken with, [`crate::ReviewSignals`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReviewOptions {
    /// The floor the band is around (current, else recommended), if any.
    pub floor: Option<f64>,
}

/// The review queue of a diagnosis (its questions' `briefs`): `outcomes` are the sweep's questions aligned with `briefs`
/// (their top scores), `None` where a question took no part.
#[must_use]
pub fn review_queue(
    briefs: &Briefs,
    outcomes: &[Option<Outcome>],
    opts: ReviewOptions,
) -> (Review, Vec<usize>) {
    let scores: Vec<f64> = outcomes.iter().flatten().map(|o| o.score).collect();
    let range = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        - scores.iter().copied().fold(f64::INFINITY, f64::min);
    let band = opts
        .floor
        .filter(|_| range.is_finite())
        // Rounded to 6 decimals: the band is shown, and scores rarely carry more.
        .map(|_| (BAND_SHARE * range * 1e6).round() / 1e6);
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut items = Vec::new();
    for (i, b) in briefs.iter().enumerate() {
        let score = outcomes.get(i).copied().flatten().map(|o| o.score);
        let mut why: Vec<(&str, String)> = Vec::new();
        if let (Some(f), Some(b), Some(s)) = (opts.floor, band, score) {
            if (s - f).abs() <= b {
                why.push((
                    "near_floor",
                    format!("top score {s} is within ±{b:.4} of the floor {f}"),
                ));
            }
        }
        if let Some(r) = &b.review {
            if let Some(doc) = &r.normalised_quote {
                why.push((
                    "normalised_quote",
                    format!(
                        "the evidence in {doc} was found only by the whitespace- and case-normalised quote match"
                    ),
                ));
            }
            if let Some(f1) = r.borderline_f1 {
                why.push((
                    "borderline_f1",
                    format!(
                        "answer F1 {f1:.2} against the threshold {} decides whether it is correct",
                        r.answer_f1
                    ),
                ));
            }
            if let Some(share) = r.borderline_grounding {
                why.push((
                    "borderline_grounding",
                    format!(
                        "a sentence has {share:.2} of its content tokens in the context against the threshold {}",
                        r.ground_token_share
                    ),
                ));
            }
        }
        if why.is_empty() {
            continue;
        }
        for (r, _) in &why {
            *reasons.entry((*r).to_owned()).or_default() += 1;
        }
        items.push((
            i,
            ReviewItem {
                query_id: b.id.to_string(),
                weight: b.weight,
                class: b.class.as_str().to_owned(),
                top_score: score,
                reasons: why.iter().map(|(r, _)| (*r).to_owned()).collect(),
                detail: why
                    .iter()
                    .map(|(_, t)| t.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            },
        ));
    }
    // Stable: questions of one weight and id stay in question order.
    items.sort_by(|(_, a), (_, b)| {
        b.weight
            .total_cmp(&a.weight)
            .then_with(|| a.query_id.cmp(&b.query_id))
    });
    let (at, items): (Vec<usize>, Vec<ReviewItem>) = items.into_iter().unzip();
    let review = Review {
        floor: band.and(opts.floor),
        band,
        margin: MARGIN,
        reasons,
        queued: items.len(),
        items,
    };
    (review, at)
}

/// `review.csv`: one row per queued question (`items`: every one, not the summary's first
/// [`ragdiag_contract::REVIEW_LISTED`]), in queue order, with its question's text
/// (`questions[j]` is item `j`'s).
#[must_use]
pub fn review_csv(items: &[ReviewItem], questions: &[String]) -> String {
    let mut out = String::from("query_id,weight,class,top_score,reasons,detail,question\n");
    for (j, it) in items.iter().enumerate() {
        let cells = [
            ragdiag_eval::csv_field(&it.query_id),
            it.weight.to_string(),
            ragdiag_eval::csv_field(&it.class),
            it.top_score.map(|s| s.to_string()).unwrap_or_default(),
            ragdiag_eval::csv_field(&it.reasons.join(";")),
            ragdiag_eval::csv_field(&it.detail),
            ragdiag_eval::csv_field(questions.get(j).map_or("", String::as_str)),
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}
