//! Counts and shares per class and per flag.

use crate::brief::Tallied;
use crate::types::{Class, Flag};
use serde::Serialize;

/// How many questions got one class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassCount {
    /// The class.
    pub class: Class,
    /// Number of questions.
    pub count: usize,
    /// Share of all questions (0 when there are none).
    pub share: f64,
    /// Share of the scored questions (all but `no_label`); `None` for `no_label`.
    pub share_of_scored: Option<f64>,
    /// Share of the scored questions' total weight; `None` for `no_label`.
    pub weighted_share_of_scored: Option<f64>,
}

/// How many questions carry one flag.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlagCount {
    /// The flag.
    pub flag: Flag,
    /// Number of questions.
    pub count: usize,
    /// Share of all questions.
    pub share: f64,
}

/// The aggregate of a diagnosis run. Every class and flag is listed, zero counts included, in
/// [`Class::ALL`] and [`Flag::ALL`] order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Number of questions.
    pub questions: usize,
    /// Questions with labels (all but `no_label`).
    pub scored: usize,
    /// Per class.
    pub classes: Vec<ClassCount>,
    /// Per flag.
    pub flags: Vec<FlagCount>,
}

fn share(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

impl Summary {
    /// Aggregates `diagnoses` (or their briefs, [`crate::BriefRef`]; sums in input order, so
    /// results are reproducible), read a few times over.
    #[must_use]
    pub fn of<T: Tallied>(diagnoses: impl Iterator<Item = T> + Clone) -> Summary {
        let n = diagnoses.clone().count();
        let scored = diagnoses.clone().filter(|d| d.class() != Class::NoLabel);
        let scored_n = scored.clone().count();
        let total_weight: f64 = scored.clone().map(|d| d.weight()).sum();
        let classes = Class::ALL
            .into_iter()
            .map(|class| {
                let count = diagnoses.clone().filter(|d| d.class() == class).count();
                let (share_of_scored, weighted) = if class == Class::NoLabel {
                    (None, None)
                } else {
                    let w: f64 = scored
                        .clone()
                        .filter(|d| d.class() == class)
                        .map(|d| d.weight())
                        .sum();
                    (
                        Some(share(count, scored_n)),
                        Some(if total_weight > 0.0 {
                            w / total_weight
                        } else {
                            0.0
                        }),
                    )
                };
                ClassCount {
                    class,
                    count,
                    share: share(count, n),
                    share_of_scored,
                    weighted_share_of_scored: weighted,
                }
            })
            .collect();
        let flags = Flag::ALL
            .into_iter()
            .map(|flag| {
                let count = diagnoses.clone().filter(|d| d.has_flag(flag)).count();
                FlagCount {
                    flag,
                    count,
                    share: share(count, n),
                }
            })
            .collect();
        Summary {
            questions: n,
            scored: scored_n,
            classes,
            flags,
        }
    }

    /// The count of `class`.
    #[must_use]
    pub fn count(&self, class: Class) -> usize {
        self.classes
            .iter()
            .find(|c| c.class == class)
            .map_or(0, |c| c.count)
    }

    /// The count of `flag`.
    #[must_use]
    pub fn flag_count(&self, flag: Flag) -> usize {
        self.flags
            .iter()
            .find(|c| c.flag == flag)
            .map_or(0, |c| c.count)
    }
}
