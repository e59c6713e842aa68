//! What a streamed run keeps of every question, kept in its [`Scratch`] instead of memory
//! (issue 15, [`crate::TraceRun::stored`]): the questions themselves, each read back when it is
//! diagnosed, briefed and written; their evidence and reference answers (apart, so that those
//! of a question let go of are not read back); and the released questions' briefs until the
//! run is finished. Without it the run holds all three in memory, about 1 KB a question
//! between them, which was most of what grew with the number of questions while the trace is
//! read.
//!
//! The encoding is [`crate::spill`]'s (lengths and little-endian numbers, floats as their bits),
//! read back by the run that wrote it: it is not a file format. Every field is named, so that
//! one added later is not forgotten here.

use crate::brief::{AnswerBrief, Fix, FlagSet, RecordFigures, ReviewSignals};
use crate::spill::{bad, put_f64, put_opt, put_str, put_u64, Reader};
use crate::{Brief, Briefs, Class, QueryLabels, RerankEffect, RerankOutcome, Rule};
use ragdiag_contract::FixKind;
use ragdiag_core::{Evidence, Judgment, Location, Query, Timestamp};
use std::io;
use std::path::Path;
use std::sync::Arc;

fn put_usize(out: &mut Vec<u8>, v: usize) {
    put_u64(out, v as u64);
}

fn put_bool(out: &mut Vec<u8>, v: bool) {
    out.push(u8::from(v));
}

impl Reader<'_> {
    fn byte(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn bool(&mut self) -> io::Result<bool> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(bad("a flag that is neither 0 nor 1")),
        }
    }

    fn string(&mut self) -> io::Result<String> {
        self.str().map(str::to_owned)
    }

    fn end(&self, what: &str) -> io::Result<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(bad(&format!("bytes left after {what}")))
        }
    }
}

/// A question's labels as bytes.
pub(crate) fn encode_labels(l: &QueryLabels, out: &mut Vec<u8>) {
    let QueryLabels {
        evidence,
        reference_answers,
    } = l;
    put_usize(out, evidence.len());
    for e in evidence {
        match e {
            Evidence::Span { doc, start, end } => {
                out.push(0);
                put_str(out, doc);
                put_usize(out, *start);
                put_usize(out, *end);
            }
            Evidence::Quote { doc, quote } => {
                out.push(1);
                put_str(out, doc);
                put_str(out, quote);
            }
        }
    }
    put_usize(out, reference_answers.len());
    for a in reference_answers {
        put_str(out, a);
    }
}

/// The labels `bytes` encode ([`encode_labels`]).
pub(crate) fn decode_labels(bytes: &[u8]) -> io::Result<QueryLabels> {
    let mut r = Reader { rest: bytes };
    let n = r.usize()?;
    let mut evidence = Vec::with_capacity(n.min(r.rest.len()));
    for _ in 0..n {
        evidence.push(match r.byte()? {
            0 => Evidence::Span {
                doc: r.string()?,
                start: r.usize()?,
                end: r.usize()?,
            },
            1 => Evidence::Quote {
                doc: r.string()?,
                quote: r.string()?,
            },
            _ => return Err(bad("an evidence kind that is neither 0 nor 1")),
        });
    }
    let n = r.usize()?;
    let mut reference_answers = Vec::with_capacity(n.min(r.rest.len()));
    for _ in 0..n {
        reference_answers.push(r.string()?);
    }
    r.end("a question's labels")?;
    Ok(QueryLabels {
        evidence,
        reference_answers,
    })
}

/// A question as bytes, but for its evidence and reference answers (kept apart,
/// [`encode_labels`]) and its origin's file, given as `path` (its place among the files the
/// run's questions name).
pub(crate) fn encode_query(q: &Query, path: usize, out: &mut Vec<u8>) {
    let Query {
        id,
        text,
        relevant,
        evidence: _,
        reference_answers: _,
        answerable,
        asked_at,
        tags,
        weight,
        origin: Location { path: _, line },
    } = q;
    put_str(out, id);
    put_str(out, text);
    put_usize(out, relevant.len());
    for Judgment { doc, grade } in relevant {
        put_str(out, doc);
        put_u64(out, *grade as u64);
    }
    put_bool(out, *answerable);
    put_opt(out, asked_at.map(|t| t.unix()), |o, (secs, nanos)| {
        put_u64(o, secs as u64);
        put_u64(o, u64::from(nanos));
    });
    put_usize(out, tags.len());
    for t in tags {
        put_str(out, t);
    }
    put_f64(out, *weight);
    put_usize(out, path);
    put_opt(out, *line, put_u64);
}

/// The question `bytes` encode ([`encode_query`]), without evidence or reference answers, its
/// origin in `paths[i]` for the `i` it was given.
pub(crate) fn decode_query(bytes: &[u8], paths: &[Arc<Path>]) -> io::Result<Query> {
    let mut r = Reader { rest: bytes };
    let id = r.string()?;
    let text = r.string()?;
    let n = r.usize()?;
    let mut relevant = Vec::with_capacity(n.min(r.rest.len()));
    for _ in 0..n {
        relevant.push(Judgment {
            doc: r.string()?,
            grade: r.u64()? as i64,
        });
    }
    let answerable = r.bool()?;
    let asked_at = r.opt(|r| {
        let secs = r.u64()? as i64;
        let nanos = u32::try_from(r.u64()?).map_err(|_| bad("nanoseconds past u32"))?;
        Timestamp::from_unix(secs, nanos).ok_or_else(|| bad("an instant out of range"))
    })?;
    let n = r.usize()?;
    let mut tags = Vec::with_capacity(n.min(r.rest.len()));
    for _ in 0..n {
        tags.push(r.string()?);
    }
    let weight = r.f64()?;
    let path = paths
        .get(r.usize()?)
        .ok_or_else(|| bad("a file the run's questions do not name"))?
        .clone();
    let line = r.opt(Reader::u64)?;
    r.end("a question")?;
    Ok(Query {
        id,
        text,
        relevant,
        evidence: Vec::new(),
        reference_answers: Vec::new(),
        answerable,
        asked_at,
        tags,
        weight,
        origin: Location { path, line },
    })
}

fn rule_code(rule: Rule) -> u8 {
    match rule {
        Rule::NoLabel => 0,
        Rule::Unanswerable => 1,
        Rule::CorrectAndGrounded => 2,
        Rule::NoLiveEvidence => 3,
        Rule::StaleVersionInWindow => 4,
        Rule::StaleGold => 5,
        Rule::EvidenceSplit => 6,
        Rule::NotInPool => 7,
        Rule::BelowWindow => 8,
        Rule::BadAnswer => 9,
        Rule::EvidenceInWindow => 10,
    }
}

fn rule_of(code: u8) -> io::Result<Rule> {
    Ok(match code {
        0 => Rule::NoLabel,
        1 => Rule::Unanswerable,
        2 => Rule::CorrectAndGrounded,
        3 => Rule::NoLiveEvidence,
        4 => Rule::StaleVersionInWindow,
        5 => Rule::StaleGold,
        6 => Rule::EvidenceSplit,
        7 => Rule::NotInPool,
        8 => Rule::BelowWindow,
        9 => Rule::BadAnswer,
        10 => Rule::EvidenceInWindow,
        _ => return Err(bad("an unknown rule")),
    })
}

fn fix_code(kind: FixKind) -> u8 {
    match kind {
        FixKind::RetireStalePage => 0,
        FixKind::UpdateStalePage => 1,
        FixKind::SurfacePage => 2,
        FixKind::KeepEvidenceWhole => 3,
        FixKind::ImproveRanking => 4,
        FixKind::WritePage => 5,
        FixKind::FixGeneration => 6,
    }
}

fn fix_of(code: u8) -> io::Result<FixKind> {
    Ok(match code {
        0 => FixKind::RetireStalePage,
        1 => FixKind::UpdateStalePage,
        2 => FixKind::SurfacePage,
        3 => FixKind::KeepEvidenceWhole,
        4 => FixKind::ImproveRanking,
        5 => FixKind::WritePage,
        6 => FixKind::FixGeneration,
        _ => return Err(bad("an unknown fix-first action")),
    })
}

/// The position of `v` in `all` (every value is listed there).
fn code_in<T: PartialEq + Copy>(all: &[T], v: T) -> u8 {
    let at = all
        .iter()
        .position(|x| *x == v)
        .expect("every value is listed");
    u8::try_from(at).expect("fewer than 256 values")
}

fn of_code<T: Copy>(all: &[T], code: u8, what: &str) -> io::Result<T> {
    all.get(usize::from(code))
        .copied()
        .ok_or_else(|| bad(&format!("an unknown {what}")))
}

fn put_brief(out: &mut Vec<u8>, b: &Brief) {
    let Brief {
        id,
        tags,
        class,
        rule,
        reason,
        flags,
        answerable,
        best_gold_rank,
        weight,
        answer,
        rerank,
        review,
        fix,
        record,
    } = b;
    put_str(out, id);
    put_usize(out, tags.len());
    for t in tags {
        put_str(out, t);
    }
    out.push(code_in(&Class::ALL, *class));
    out.push(rule_code(*rule));
    put_str(out, reason);
    out.extend_from_slice(&flags.bits().to_le_bytes());
    put_bool(out, *answerable);
    put_opt(out, *best_gold_rank, put_usize);
    put_f64(out, *weight);
    put_opt(out, *answer, |o, a| {
        let AnswerBrief {
            correct,
            abstained,
            grounded,
        } = a;
        put_opt(o, correct, put_bool);
        put_bool(o, abstained);
        put_bool(o, grounded);
    });
    put_opt(out, rerank.as_deref().copied(), |o, r| {
        let RerankOutcome {
            before,
            after,
            effect,
        } = r;
        put_opt(o, before, put_usize);
        put_opt(o, after, put_usize);
        o.push(code_in(&RerankEffect::ALL, effect));
    });
    put_opt(out, review.as_deref(), |o, s| {
        let ReviewSignals {
            normalised_quote,
            borderline_f1,
            borderline_grounding,
            answer_f1,
            ground_token_share,
        } = s;
        put_opt(o, normalised_quote.as_deref(), put_str);
        put_opt(o, *borderline_f1, put_f64);
        put_opt(o, *borderline_grounding, put_f64);
        put_f64(o, *answer_f1);
        put_f64(o, *ground_token_share);
    });
    put_opt(out, fix.as_deref(), |o, f| {
        let Fix { kind, pages } = f;
        o.push(fix_code(*kind));
        put_usize(o, pages.len());
        for (id, successor, split) in pages {
            put_str(o, id);
            put_opt(o, successor.as_deref(), put_str);
            put_opt(o, *split, |o, (words, chars)| {
                put_usize(o, words);
                put_usize(o, chars);
            });
        }
    });
    put_opt(out, *record, |o, r| {
        let RecordFigures {
            line,
            latency_ms,
            prompt_tokens,
            completion_tokens,
        } = r;
        put_usize(o, line);
        put_opt(o, latency_ms, put_f64);
        put_opt(o, prompt_tokens, put_f64);
        put_opt(o, completion_tokens, put_f64);
    });
}

fn read_brief(r: &mut Reader<'_>) -> io::Result<Brief> {
    let id = r.string()?.into_boxed_str();
    let n = r.usize()?;
    let mut tags = Vec::with_capacity(n.min(r.rest.len()));
    for _ in 0..n {
        tags.push(r.string()?.into_boxed_str());
    }
    let class = of_code(&Class::ALL, r.byte()?, "class")?;
    let rule = rule_of(r.byte()?)?;
    let reason = r.string()?.into_boxed_str();
    let mut bits = [0u8; 2];
    bits.copy_from_slice(r.take(2)?);
    Ok(Brief {
        id,
        tags: tags.into_boxed_slice(),
        class,
        rule,
        reason,
        flags: FlagSet::from_bits(u16::from_le_bytes(bits)),
        answerable: r.bool()?,
        best_gold_rank: r.opt(Reader::usize)?,
        weight: r.f64()?,
        answer: r.opt(|r| {
            Ok(AnswerBrief {
                correct: r.opt(Reader::bool)?,
                abstained: r.bool()?,
                grounded: r.bool()?,
            })
        })?,
        rerank: r.opt(|r| {
            Ok(Box::new(RerankOutcome {
                before: r.opt(Reader::usize)?,
                after: r.opt(Reader::usize)?,
                effect: of_code(&RerankEffect::ALL, r.byte()?, "reranker effect")?,
            }))
        })?,
        review: r.opt(|r| {
            Ok(Box::new(ReviewSignals {
                normalised_quote: r.opt(Reader::string)?,
                borderline_f1: r.opt(Reader::f64)?,
                borderline_grounding: r.opt(Reader::f64)?,
                answer_f1: r.f64()?,
                ground_token_share: r.f64()?,
            }))
        })?,
        fix: r.opt(|r| {
            let kind = fix_of(r.byte()?)?;
            let n = r.usize()?;
            let mut pages = Vec::with_capacity(n.min(r.rest.len()));
            for _ in 0..n {
                pages.push((
                    r.string()?,
                    r.opt(Reader::string)?,
                    r.opt(|r| Ok((r.usize()?, r.usize()?)))?,
                ));
            }
            Ok(Box::new(Fix { kind, pages }))
        })?,
        record: r.opt(|r| {
            Ok(RecordFigures {
                line: r.usize()?,
                latency_ms: r.opt(Reader::f64)?,
                prompt_tokens: r.opt(Reader::f64)?,
                completion_tokens: r.opt(Reader::f64)?,
            })
        })?,
    })
}

/// Briefs as bytes, one after the other.
pub(crate) fn encode_briefs(briefs: &[Brief], out: &mut Vec<u8>) {
    put_usize(out, briefs.len());
    for b in briefs {
        put_brief(out, b);
    }
}

/// The briefs `bytes` encode ([`encode_briefs`]), appended to `into`.
pub(crate) fn decode_briefs(bytes: &[u8], into: &mut Briefs) -> io::Result<()> {
    let mut r = Reader { rest: bytes };
    let n = r.usize()?;
    into.reserve(n.min(r.rest.len()));
    for _ in 0..n {
        into.push(read_brief(&mut r)?);
    }
    r.end("the briefs")
}

/// The lead scores of released questions ([`crate::LeadScores`]) as bytes.
pub(crate) fn encode_leads(leads: &[crate::LeadScores], out: &mut Vec<u8>) {
    put_usize(out, leads.len());
    for [first, second] in leads {
        put_opt(out, *first, put_f64);
        put_opt(out, *second, put_f64);
    }
}

/// The lead scores `bytes` encode ([`encode_leads`]), appended to `into`.
pub(crate) fn decode_leads(
    bytes: &[u8],
    into: &mut impl Extend<crate::LeadScores>,
) -> io::Result<()> {
    let mut r = Reader { rest: bytes };
    let n = r.usize()?;
    for _ in 0..n {
        into.extend([[r.opt(Reader::f64)?, r.opt(Reader::f64)?]]);
    }
    r.end("the lead scores")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Flag;

    fn labels() -> Vec<QueryLabels> {
        vec![
            QueryLabels::default(),
            QueryLabels {
                evidence: vec![
                    Evidence::Span {
                        doc: "kb/a".into(),
                        start: 3,
                        end: usize::MAX,
                    },
                    Evidence::Quote {
                        doc: "kb/é".into(),
                        quote: "Rückerstattung in 5 Tagen ✓".into(),
                    },
                ],
                reference_answers: vec![String::new(), "five days".into()],
            },
        ]
    }

    /// Briefs that set every field one way or another: each class, rule, flag, answer
    /// verdict, reranker effect and fix-first action, NaN and −0.0 among the figures.
    fn briefs() -> Vec<Brief> {
        let rules = (0..=10).map(|c| rule_of(c).unwrap());
        let fixes: Vec<FixKind> = (0..7).map(|c| fix_of(c).unwrap()).collect();
        rules
            .enumerate()
            .map(|(i, rule)| Brief {
                id: format!("q-{i} ü").into(),
                tags: (0..i % 3)
                    .map(|t| {
                        if t == 0 {
                            "".into()
                        } else {
                            format!("tag {t} ✓").into()
                        }
                    })
                    .collect(),
                class: Class::ALL[i % Class::ALL.len()],
                rule,
                // (Question 4: a fix's kind and nothing else of the rare parts.)
                reason: if i % 2 == 0 && i % 4 != 0 {
                    format!("reason {i} ✓").into()
                } else {
                    Box::default()
                },
                flags: FlagSet::of(Flag::ALL.iter().skip(i).step_by(2)),
                answerable: i % 3 != 0,
                best_gold_rank: (i % 2 == 1).then_some(i * 1000),
                weight: [1.0, -0.0, f64::NAN, 2.5e-300][i % 4],
                answer: (i % 4 != 0).then_some(AnswerBrief {
                    correct: [None, Some(true), Some(false)][i % 3],
                    abstained: i % 2 == 0,
                    grounded: i % 5 == 0,
                }),
                rerank: (i % 3 != 1).then(|| {
                    Box::new(RerankOutcome {
                        before: (i % 2 == 0).then_some(i),
                        after: Some(i + 1),
                        effect: RerankEffect::ALL[i % 3],
                    })
                }),
                // Quoted documents repeating among themselves and the fixes' pages; two pairs
                // of thresholds (−0 apart from 0), the first coming back after the second.
                review: (i % 2 == 1).then(|| {
                    Box::new(ReviewSignals {
                        normalised_quote: (i % 3 != 0).then(|| format!("kb/{}", i % 4)),
                        borderline_f1: (i % 4 == 1).then_some(f64::NAN),
                        borderline_grounding: (i % 3 == 0).then_some(-0.0),
                        answer_f1: if i == 5 || i == 7 { 0.75 } else { 0.5 },
                        ground_token_share: if i == 5 || i == 7 { 0.0 } else { -0.0 },
                    })
                }),
                // Actions with pages (sizes, successors, names shared with other questions
                // and with quoted documents) and without (the kind alone).
                fix: (i % 2 == 0).then(|| {
                    let page =
                        |p: &str, to: Option<&str>, size| (p.into(), to.map(Into::into), size);
                    Box::new(Fix {
                        kind: fixes[i % fixes.len()],
                        pages: match i {
                            2 => vec![
                                page("kb/a", None, None),
                                page("kb/b", Some("kb/c"), Some((4, 20))),
                            ],
                            6 => vec![
                                page("kb/1", Some("kb/a"), Some((usize::MAX, 7))),
                                page("kb/b", None, None),
                            ],
                            10 => vec![page("kb/c", None, Some((0, 0)))],
                            _ => Vec::new(),
                        },
                    })
                }),
                record: (i % 3 == 0).then_some(RecordFigures {
                    // Lines past what 4 bytes hold (`Briefs` widens its lines) among the others.
                    line: match i {
                        6 => u32::MAX as usize,
                        9 => usize::MAX,
                        _ => i * 7,
                    },
                    latency_ms: Some(f64::INFINITY),
                    prompt_tokens: None,
                    completion_tokens: Some(-0.0),
                }),
            })
            .collect()
    }

    /// Equal field by field, floats by their bits (NaN and −0.0 included).
    fn same(a: &[Brief], b: &[Brief]) -> bool {
        let mut x = Vec::new();
        let mut y = Vec::new();
        encode_briefs(a, &mut x);
        encode_briefs(b, &mut y);
        x == y && format!("{a:?}") == format!("{b:?}")
    }

    #[test]
    fn labels_come_back_as_they_went() {
        for l in labels() {
            let mut bytes = Vec::new();
            encode_labels(&l, &mut bytes);
            assert_eq!(decode_labels(&bytes).unwrap(), l);
        }
    }

    /// Questions that set every field one way or another (NaN and −0.0 weights, instants
    /// with nanoseconds and before 1970, two files), without their labels.
    fn questions() -> (Vec<Query>, Vec<Arc<Path>>) {
        let paths: Vec<Arc<Path>> = vec![
            Location::default().path,
            Path::new("q.jsonl").into(),
            Path::new("é/b.jsonl").into(),
        ];
        let at = |s: &str| Timestamp::parse(s);
        let qs = vec![
            Query::default(),
            Query {
                id: "q-ü".into(),
                text: "Wie lange dauert die Rückerstattung?".into(),
                relevant: vec![
                    Judgment {
                        doc: "kb/a".into(),
                        grade: -3,
                    },
                    Judgment {
                        doc: String::new(),
                        grade: i64::MAX,
                    },
                ],
                answerable: false,
                asked_at: at("2026-03-01T12:00:00.123456789+02:00"),
                tags: vec!["billing".into(), String::new()],
                weight: f64::NAN,
                origin: Location {
                    path: paths[2].clone(),
                    line: Some(u64::MAX),
                },
                ..Query::default()
            },
            Query {
                id: "q2".into(),
                asked_at: at("1900-01-01"),
                weight: -0.0,
                origin: Location {
                    path: paths[1].clone(),
                    line: None,
                },
                ..Query::default()
            },
        ];
        (qs, paths)
    }

    #[test]
    fn questions_come_back_as_they_went() {
        let (qs, paths) = questions();
        for (i, q) in qs.iter().enumerate() {
            let p = paths.iter().position(|p| *p == q.origin.path).unwrap();
            let mut bytes = Vec::new();
            encode_query(q, p, &mut bytes);
            let back = decode_query(&bytes, &paths).unwrap();
            assert_eq!(format!("{back:?}"), format!("{q:?}"), "{i}");
            assert_eq!(back.weight.to_bits(), q.weight.to_bits(), "{i}");
            assert_eq!(back.asked_at, q.asked_at, "{i}");
            for cut in 0..bytes.len() {
                assert!(decode_query(&bytes[..cut], &paths).is_err(), "{i}: {cut}");
            }
            // A file the run does not name.
            assert!(decode_query(&bytes, &paths[..p]).is_err(), "{i}");
        }
        // The labels are not in a question's bytes.
        let mut q = qs[1].clone();
        q.evidence = labels()[1].evidence.clone();
        q.reference_answers = vec!["five days".into()];
        let mut bytes = Vec::new();
        encode_query(&q, 2, &mut bytes);
        let back = decode_query(&bytes, &paths).unwrap();
        assert!(back.evidence.is_empty() && back.reference_answers.is_empty());
    }

    #[test]
    fn briefs_come_back_as_they_went() {
        let briefs = briefs();
        // Every rule and action code reads back as itself.
        for c in 0..=10 {
            assert_eq!(rule_code(rule_of(c).unwrap()), c);
        }
        for c in 0..7 {
            assert_eq!(fix_code(fix_of(c).unwrap()), c);
        }
        let mut bytes = Vec::new();
        encode_briefs(&briefs, &mut bytes);
        // Decoded into the columns of `Briefs` and read back from them.
        let mut into: Briefs = std::iter::once(briefs[0].clone()).collect();
        decode_briefs(&bytes, &mut into).unwrap();
        let back: Vec<Brief> = into.iter().map(|b| b.to_brief()).collect();
        assert_eq!(back.len(), briefs.len() + 1, "appended");
        assert!(same(&back[1..], &briefs));
        assert!(back[3].weight.is_nan());
        assert!(back[2].weight.is_sign_negative() && back[2].weight == 0.0);
        // Read one at a time, the same.
        for (i, b) in back.iter().enumerate() {
            assert!(
                same(&[into.get(i).to_brief()], std::slice::from_ref(b)),
                "{i}"
            );
        }
        // An empty list too.
        let mut bytes = Vec::new();
        encode_briefs(&[], &mut bytes);
        let mut none = Briefs::new();
        decode_briefs(&bytes, &mut none).unwrap();
        assert!(none.is_empty());
    }

    /// Lead scores come back to the bit (NaN, -0.0, none), and damaged bytes are refused.
    #[test]
    fn lead_scores_come_back_as_they_went() {
        let leads = [
            [Some(0.5), None],
            [None, None],
            [Some(f64::NAN), Some(-0.0)],
            [Some(f64::INFINITY), Some(1e-300)],
        ];
        let mut bytes = Vec::new();
        encode_leads(&leads, &mut bytes);
        let mut back = vec![[Some(9.0), None]];
        decode_leads(&bytes, &mut back).unwrap();
        let bits = |l: &[crate::LeadScores]| -> Vec<[Option<u64>; 2]> {
            l.iter().map(|p| p.map(|x| x.map(f64::to_bits))).collect()
        };
        assert_eq!(bits(&back[1..]), bits(&leads));
        for cut in 0..bytes.len() {
            assert!(
                decode_leads(&bytes[..cut], &mut Vec::new()).is_err(),
                "{cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_leads(&longer, &mut Vec::new()).is_err());
    }

    #[test]
    fn damaged_bytes_are_refused() {
        let mut bytes = Vec::new();
        encode_briefs(&briefs(), &mut bytes);
        // Cut anywhere, or one byte more: refused, never a panic.
        for cut in 0..bytes.len() {
            assert!(
                decode_briefs(&bytes[..cut], &mut Briefs::new()).is_err(),
                "{cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_briefs(&longer, &mut Briefs::new()).is_err());
        // An unknown class or rule.
        let mut one = Vec::new();
        encode_briefs(&briefs()[..1], &mut one);
        for at in [8, 9] {
            let mut bad = one.clone();
            bad[at] = 200;
            assert!(decode_briefs(&bad, &mut Briefs::new()).is_err(), "{at}");
        }
        let mut l = Vec::new();
        encode_labels(&labels()[1], &mut l);
        for cut in 0..l.len() {
            assert!(decode_labels(&l[..cut]).is_err(), "{cut}");
        }
        l[8] = 2;
        assert!(decode_labels(&l).is_err(), "an unknown evidence kind");
    }
}
