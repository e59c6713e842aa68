//! The review queue: questions whose outcome a person should check, because the system's top
//! score sits near the chosen floor, or because their class rests on a weak signal (evidence
//! found only by the normalised quote match, an answer F1 or a sentence's grounded token share
//! close to its threshold).

use crate::threshold::Outcomes;
use crate::{BriefRef, Briefs};
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

/// Every queued question of a review queue, in queue order ([`review_queue`]): its position
/// among the questions and its top score (24 bytes each); each row of `review.csv` is made
/// from it and the questions' briefs when it is written ([`Queued::item`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Queued {
    rows: Vec<(usize, Option<f64>)>,
    /// The floor and the band around it the queue was made with.
    floor: Option<f64>,
    band: Option<f64>,
}

impl Queued {
    /// How many questions are queued.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether none is.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The position among the questions of the `j`th queued question.
    ///
    /// # Panics
    ///
    /// When fewer than `j + 1` are queued.
    #[must_use]
    pub fn position(&self, j: usize) -> usize {
        self.rows[j].0
    }

    /// The row of the `j`th queued question, from `briefs` (the briefs the queue was made of).
    ///
    /// # Panics
    ///
    /// When fewer than `j + 1` are queued.
    #[must_use]
    pub fn item(&self, briefs: &Briefs, j: usize) -> ReviewItem {
        let (i, score) = self.rows[j];
        let b = briefs.get(i);
        let why = reasons_of(b, score, self.floor, self.band);
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
        }
    }
}

/// Why a person should check question `b` (top score `score`), each reason with its detail;
/// empty when nothing calls for it.
fn reasons_of(
    b: BriefRef<'_>,
    score: Option<f64>,
    floor: Option<f64>,
    band: Option<f64>,
) -> Vec<(&'static str, String)> {
    let mut why: Vec<(&str, String)> = Vec::new();
    if let (Some(f), Some(b), Some(s)) = (floor, band, score) {
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
    why
}

/// The review queue of a diagnosis (its questions' `briefs`): `outcomes` are the sweep's
/// questions aligned with `briefs` (their top scores), `None` where a question took no part.
/// The [`Review`] counts every queued question and lists the first
/// [`ragdiag_contract::REVIEW_LISTED`]; [`Queued`] has them all (for `review.csv`).
#[must_use]
pub fn review_queue(
    briefs: &Briefs,
    outcomes: &Outcomes<'_>,
    opts: ReviewOptions,
) -> (Review, Queued) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for o in outcomes.iter().flatten() {
        lo = lo.min(o.score);
        hi = hi.max(o.score);
    }
    let range = hi - lo;
    let band = opts
        .floor
        .filter(|_| range.is_finite())
        // Rounded to 6 decimals: the band is shown, and scores rarely carry more.
        .map(|_| (BAND_SHARE * range * 1e6).round() / 1e6);
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut rows = Vec::new();
    for (i, b) in briefs.iter().enumerate() {
        let score = outcomes.get(i).map(|o| o.score);
        let why = reasons_of(b, score, opts.floor, band);
        if why.is_empty() {
            continue;
        }
        for (r, _) in &why {
            *reasons.entry((*r).to_owned()).or_default() += 1;
        }
        rows.push((i, score));
    }
    // Stable: questions of one weight and id stay in question order.
    rows.sort_by(|&(a, _), &(b, _)| {
        briefs
            .weight(b)
            .total_cmp(&briefs.weight(a))
            .then_with(|| briefs.id(a).cmp(briefs.id(b)))
    });
    let queued = Queued {
        rows,
        floor: opts.floor,
        band,
    };
    let items = (0..queued.len().min(ragdiag_contract::REVIEW_LISTED))
        .map(|j| queued.item(briefs, j))
        .collect();
    let review = Review {
        floor: band.and(opts.floor),
        band,
        margin: MARGIN,
        reasons,
        queued: queued.len(),
        items,
    };
    (review, queued)
}

/// The header line of `review.csv`: one row per queued question follows ([`review_csv_row`]),
/// every one (not the summary's first [`ragdiag_contract::REVIEW_LISTED`]), in queue order.
pub const REVIEW_CSV_HEADER: &str = "query_id,weight,class,top_score,reasons,detail,question\n";

/// One row of `review.csv`: the queued question `item` and its text, as a line.
#[must_use]
pub fn review_csv_row(it: &ReviewItem, question: &str) -> String {
    let cells = [
        ragdiag_eval::csv_field(&it.query_id),
        it.weight.to_string(),
        ragdiag_eval::csv_field(&it.class),
        it.top_score.map(|s| s.to_string()).unwrap_or_default(),
        ragdiag_eval::csv_field(&it.reasons.join(";")),
        ragdiag_eval::csv_field(&it.detail),
        ragdiag_eval::csv_field(question),
    ];
    let mut line = cells.join(",");
    line.push('\n');
    line
}
