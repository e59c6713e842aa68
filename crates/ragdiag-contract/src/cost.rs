//! Cost and latency of a traced system (`ragdiag diagnose --price`, trace mode).

use crate::Interval;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the traced questions cost and how long they took, overall, per class and for correct
/// against wrong answers.
///
/// Cost is `prompt_tokens × prompt price + completion_tokens × completion price` per question
/// (prices per million tokens, `--price`), over the traced questions with token counts.
/// Intervals: the percentile bootstrap over questions (10,000 resamples, seeded): of the mean
/// (cost per question), of the ratio of total cost to correct answers (cost per correct answer,
/// resampling questions), and of the nearest-rank quantiles (latency p50 and p95).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CostLatency {
    /// The prices, per million tokens; `null` when `--price` was not given (then no cost).
    pub price: Option<Price>,
    /// Mean cost of a question, in the prices' currency.
    pub cost_per_question: Option<Interval>,
    /// Total cost divided by the number of correct answers (a ratio estimate; `null` without a
    /// correct answer).
    pub cost_per_correct_answer: Option<Interval>,
    /// Latency (ms) of the questions answered correctly.
    pub latency_correct: LatencyQuantiles,
    /// Latency (ms) of the questions answered wrongly (abstentions on answerable questions and
    /// answers to unanswerable ones included).
    pub latency_wrong: LatencyQuantiles,
    /// Per class, in DESIGN.md's order (classes with a traced question only).
    pub by_class: Vec<ClassCost>,
}

/// Token prices per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Price {
    /// Price of a million prompt tokens.
    pub prompt: f64,
    /// Price of a million completion tokens.
    pub completion: f64,
}

impl std::str::FromStr for Price {
    type Err = String;

    /// Parses `prompt=P,completion=C` (`--price`): both given, each a finite number ≥ 0, per
    /// million tokens; names trimmed, empty items skipped, a later value of a name wins.
    fn from_str(s: &str) -> Result<Price, String> {
        let (mut prompt, mut completion) = (None, None);
        for part in s.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?}: expected prompt=PRICE,completion=PRICE"))?;
            let v: f64 = v
                .trim()
                .parse()
                .map_err(|_| format!("{part:?}: {v:?} is not a number"))?;
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("{part:?}: a price must be a finite number ≥ 0"));
            }
            match k.trim() {
                "prompt" => prompt = Some(v),
                "completion" => completion = Some(v),
                other => return Err(format!("{other:?}: expected prompt or completion")),
            }
        }
        match (prompt, completion) {
            (Some(prompt), Some(completion)) => Ok(Price { prompt, completion }),
            _ => Err(format!(
                "{s:?}: give both, e.g. prompt=3,completion=15 (per million tokens)"
            )),
        }
    }
}

impl std::fmt::Display for Price {
    /// `prompt=P,completion=C`, which parses back to the same prices (`f64`'s shortest
    /// round-trip form).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "prompt={},completion={}", self.prompt, self.completion)
    }
}

/// Latency quantiles (nearest rank) with bootstrap intervals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LatencyQuantiles {
    /// The median, ms.
    pub p50: Interval,
    /// The 95th percentile, ms.
    pub p95: Interval,
}

/// One class's cost and latency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClassCost {
    /// The class.
    pub class: String,
    /// Mean cost of its questions (`null` without prices or token counts).
    pub cost: Option<Interval>,
    /// Latency of its questions.
    pub latency: LatencyQuantiles,
}

#[cfg(test)]
mod tests {
    use super::Price;

    #[test]
    fn prices_parse_and_print_back() {
        let p: Price = " completion = 15 ,prompt=3,".parse().unwrap();
        assert_eq!(
            p,
            Price {
                prompt: 3.0,
                completion: 15.0
            }
        );
        assert_eq!(p.to_string(), "prompt=3,completion=15");
        let q: Price = "prompt=0.15,completion=1e-7".parse().unwrap();
        assert_eq!(q.to_string().parse::<Price>().unwrap(), q);
        for bad in [
            "",
            "prompt=3",
            "prompt=-1,completion=2",
            "prompt=inf,completion=2",
            "prompt=x,completion=2",
            "input=3,completion=2",
            "prompt3,completion=2",
        ] {
            assert!(bad.parse::<Price>().is_err(), "{bad:?}");
        }
    }
}
