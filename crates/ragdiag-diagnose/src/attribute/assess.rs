//! The assessment of a trace answer: correctness, abstention, groundedness.

use crate::answer::compare_answer;
use crate::config::Config;
use crate::ground::{assess_grounding_with, Grounding};
use crate::input::QueryInput;
use crate::texts::{Features, Texts};
use crate::types::{AnswerAssessment, Mode};

/// Assesses the answer against the question's reference answers and the window's texts; `None`
/// in replay mode or when the trace line has no answer.
pub(super) fn assess_answer(
    input: &QueryInput<'_>,
    cfg: &Config<'_>,
    window_texts: &[&str],
    window: &[&Features],
    texts: &Texts<'_>,
) -> crate::Result<Option<AnswerAssessment>> {
    let (Mode::Trace, Some(answer)) = (cfg.mode, input.answer.as_deref()) else {
        return Ok(None);
    };
    let accepted_raw = &input.query.reference_answers;
    let phrase = cfg.abstention.matched(answer).map(str::to_string);
    let abstained = phrase.is_some();
    let correctness = compare_answer(answer, accepted_raw);
    let correct = if accepted_raw
        .iter()
        .all(|a| crate::answer::normalize_answer(a).is_empty())
    {
        if abstained {
            Some(false)
        } else {
            None
        }
    } else {
        Some(!abstained && (correctness.contains || correctness.best_f1 >= cfg.f1_threshold))
    };
    let grounding = if abstained {
        Grounding {
            sentences: Vec::new(),
            grounded_share: 1.0,
            unsupported_claims: Vec::new(),
            grounded: true,
        }
    } else {
        assess_grounding_with(
            answer,
            window_texts,
            window,
            texts,
            &input.query.text,
            &cfg.grounding,
            cfg.embedder,
        )?
    };
    Ok(Some(AnswerAssessment {
        correct,
        correctness,
        abstained,
        abstention_phrase: phrase,
        grounding,
    }))
}
