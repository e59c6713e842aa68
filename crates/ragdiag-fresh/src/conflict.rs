//! Conflicting statements: aligned sentences of two current documents that state different
//! quantities (prices, durations, percentages, counts) about the same subject in the same time
//! scope; and *updates*: successive values of a changing figure in documents of different dates.
//!
//! Each sentence holding a number becomes a *template*: its words other than stop words
//! (comparison words such as "more" and "least" kept), with every quantity replaced by a
//! placeholder of its kind (`<money>`, `<duration>`, `<percent>`, `<number>`), and their
//! bigrams. Sentences of different documents whose templates are similar (Jaccard ≥ the
//! threshold, or one template nearly contained in the other with Jaccard ≥ the threshold − 0.1,
//! found by MinHash LSH) are aligned; they disagree when their quantities, normalised (durations in hours, money with its
//! currency), differ. "7 days" and "72 hours" disagree; "30 days" and "1 month" do not.
//!
//! A disagreement is evidence only when the two statements are about the same subject in the
//! same time scope:
//! - **not quantities**: clock times ("8 p.m.", "18:30"), years ("in 2015") and days of a month
//!   ("December 29") are time scope, not figures to disagree on;
//! - **time scope**: years, months, days, weekdays, seasons, holidays and quarters named in the
//!   sentences must be the same in both (none in either counts as the same); documents whose
//!   titles name different years, dates, versions or numbers are different scopes too;
//! - **fragments**: a sentence with fewer than [`MIN_CONTENT`] content words (words other than
//!   stop words, units of time and measure, scope words and numbers: "to 8 p.m.", "and what was it in 2015?") is
//!   never evidence; nor is a table row (its columns' scope is in a header it does not carry)
//!   or a line of code;
//! - **one value per document**: a document that states the same form with several values
//!   speaks of several things (two segments, two calls), and a document that also states the
//!   other's value does not contradict it;
//! - **subject**: the two sentences share at least [`MIN_CONTENT`] content words and at least
//!   half of the larger sentence's; a word swapped for another when either is a name
//!   (capitalised: "Brazil won 4-1" vs "England won 3-0", "Starter costs $19" vs "Growth costs
//!   $39") means different subjects, and so does more than one word swapped each way;
//! - **boilerplate**: a sentence form (its content words and quantity kinds) shared by
//!   [`BOILERPLATE_DOCS`] or more documents with at least three different values is a template
//!   filled in per document ("Your invoice total is $X", "N studies met the inclusion
//!   criteria"), which carries no subject of its own; page, section and list numbers ("44 the
//!   PNC Financial Services Group", "… (continued) 7") and leading section labels ("RESULTS")
//!   are not quantities or content;
//! - **bounds**: the two sentences bound their figures the same way ("more than 10 ounces" and
//!   "less than 20 ounces" are different statements);
//! - **topic**: the two documents share a tag, a source or enough vocabulary (see
//!   `same_topic`).
//!
//! A disagreement that passes is an **update**, not a conflict, when both documents are dated
//! with different dates and a sentence speaks of a changing figure ("has risen to", "so far",
//! "as of", "now"): the newer document's value wins. Otherwise it is a **conflict**.

use crate::minhash::{Bands, MinHasher};
use crate::Texts;
use ragdiag_core::{jaccard_sorted, stable_hash, words, Document};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::OnceLock;

/// Content words a sentence needs to be evidence, and that two aligned sentences must share.
pub(crate) const MIN_CONTENT: usize = 2;
/// Documents sharing a sentence form, each with its own value (three or more different values),
/// that make it a per-document template: "RESULTS 37 studies met the inclusion criteria" in
/// three abstracts is each paper's own count, not one fact stated three ways.
pub(crate) const BOILERPLATE_DOCS: usize = 3;

/// A normalised quantity.
#[derive(Debug, Clone, PartialEq)]
pub enum Quantity {
    /// An amount of money with its currency sign.
    Money {
        /// `$`, `€` or `£`.
        currency: char,
        /// The amount.
        amount: f64,
    },
    /// A duration, in hours.
    Duration(f64),
    /// A percentage.
    Percent(f64),
    /// A bare number.
    Number(f64),
}

impl Quantity {
    fn placeholder(&self) -> &'static str {
        match self {
            Quantity::Money { .. } => "<money>",
            Quantity::Duration(_) => "<duration>",
            Quantity::Percent(_) => "<percent>",
            Quantity::Number(_) => "<number>",
        }
    }

    fn same(&self, other: &Quantity) -> bool {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        match (self, other) {
            (
                Quantity::Money {
                    currency: c1,
                    amount: a1,
                },
                Quantity::Money {
                    currency: c2,
                    amount: a2,
                },
            ) => c1 == c2 && close(*a1, *a2),
            (Quantity::Duration(a), Quantity::Duration(b))
            | (Quantity::Percent(a), Quantity::Percent(b))
            | (Quantity::Number(a), Quantity::Number(b)) => close(*a, *b),
            _ => false,
        }
    }

    fn key(&self) -> u64 {
        match self {
            Quantity::Money { currency, amount } => {
                stable_hash(&(0u8, *currency, amount.to_bits()))
            }
            Quantity::Duration(v) => stable_hash(&(1u8, v.to_bits())),
            Quantity::Percent(v) => stable_hash(&(2u8, v.to_bits())),
            Quantity::Number(v) => stable_hash(&(3u8, v.to_bits())),
        }
    }
}

/// Two current documents stating different quantities in aligned sentences.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// First document (smaller id).
    pub doc_a: String,
    /// Second document.
    pub doc_b: String,
    /// The sentence of `doc_a`.
    pub sentence_a: String,
    /// The sentence of `doc_b`.
    pub sentence_b: String,
    /// Template similarity of the two sentences.
    pub similarity: f64,
}

/// A changing figure stated with different values by two current documents of different
/// dates: the newer value wins.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// The older document.
    pub older: String,
    /// The newer document.
    pub newer: String,
    /// The sentence of `older`.
    pub sentence_older: String,
    /// The sentence of `newer`.
    pub sentence_newer: String,
    /// Template similarity of the two sentences.
    pub similarity: f64,
}

fn duration_hours(unit: &str) -> Option<f64> {
    Some(match unit {
        "minute" | "minutes" | "min" | "mins" => 1.0 / 60.0,
        "hour" | "hours" | "hr" | "hrs" | "h" => 1.0,
        "day" | "days" | "calendar" => 24.0,
        "week" | "weeks" => 24.0 * 7.0,
        "month" | "months" => 24.0 * 30.0,
        "year" | "years" => 24.0 * 365.0,
        _ => return None,
    })
}

fn set(words: &'static [&'static str]) -> FxHashSet<&'static str> {
    words.iter().copied().collect()
}

/// General English words that name no subject.
fn stop_words() -> &'static FxHashSet<&'static str> {
    static S: OnceLock<FxHashSet<&'static str>> = OnceLock::new();
    S.get_or_init(|| {
        set(&[
            "a",
            "about",
            "above",
            "after",
            "again",
            "all",
            "also",
            "am",
            "an",
            "and",
            "another",
            "any",
            "approximately",
            "are",
            "around",
            "as",
            "at",
            "be",
            "been",
            "before",
            "being",
            "below",
            "between",
            "both",
            "but",
            "by",
            "can",
            "could",
            "did",
            "do",
            "does",
            "doing",
            "done",
            "down",
            "during",
            "each",
            "either",
            "etc",
            "every",
            "few",
            "for",
            "from",
            "further",
            "had",
            "has",
            "have",
            "having",
            "he",
            "her",
            "here",
            "hers",
            "him",
            "his",
            "how",
            "i",
            "if",
            "in",
            "into",
            "is",
            "it",
            "its",
            "itself",
            "just",
            "last",
            "least",
            "less",
            "many",
            "may",
            "me",
            "might",
            "more",
            "most",
            "much",
            "must",
            "my",
            "nearly",
            "next",
            "no",
            "nor",
            "not",
            "of",
            "off",
            "on",
            "once",
            "one",
            "only",
            "onto",
            "or",
            "other",
            "our",
            "ours",
            "out",
            "over",
            "own",
            "per",
            "s",
            "same",
            "shall",
            "she",
            "should",
            "so",
            "some",
            "such",
            "t",
            "than",
            "that",
            "the",
            "their",
            "theirs",
            "them",
            "then",
            "there",
            "these",
            "they",
            "this",
            "those",
            "through",
            "to",
            "too",
            "under",
            "until",
            "up",
            "upon",
            "us",
            "very",
            "via",
            "was",
            "we",
            "were",
            "what",
            "when",
            "where",
            "which",
            "while",
            "who",
            "whom",
            "whose",
            "why",
            "will",
            "with",
            "within",
            "without",
            "would",
            "yes",
            "you",
            "your",
            "yours",
            "percent",
            "cent",
            "total",
            "am",
            "pm",
            "again",
            "approx",
            "roughly",
            "almost",
        ])
    })
}

/// Months, weekdays, seasons and holidays: time scope, not subject.
fn scope_word(w: &str) -> Option<&'static str> {
    static S: OnceLock<FxHashMap<&'static str, &'static str>> = OnceLock::new();
    let m = S.get_or_init(|| {
        let mut m = FxHashMap::default();
        for (names, canon) in [
            (&["january", "jan"][..], "jan"),
            (&["february", "feb"], "feb"),
            (&["march", "mar"], "mar"),
            (&["april", "apr"], "apr"),
            (&["june", "jun"], "jun"),
            (&["july", "jul"], "jul"),
            (&["august", "aug"], "aug"),
            (&["september", "sep", "sept"], "sep"),
            (&["october", "oct"], "oct"),
            (&["november", "nov"], "nov"),
            (&["december", "dec"], "dec"),
        ] {
            for n in names {
                m.insert(*n, canon);
            }
        }
        for w in [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "spring",
            "summer",
            "autumn",
            "winter",
            "christmas",
            "easter",
            "thanksgiving",
            "halloween",
            "ramadan",
            "q1",
            "q2",
            "q3",
            "q4",
            "h1",
            "h2",
        ] {
            m.insert(w, w);
        }
        m
    });
    m.get(w).copied()
}

fn is_month(w: &str) -> bool {
    scope_word(w).is_some_and(|c| {
        matches!(
            c,
            "jan"
                | "feb"
                | "mar"
                | "apr"
                | "may"
                | "jun"
                | "jul"
                | "aug"
                | "sep"
                | "oct"
                | "nov"
                | "dec"
        )
    })
}

/// Words that mark a running figure: its successive values are updates, not conflicts.
fn change_word(w: &str) -> bool {
    matches!(
        w,
        "now"
            | "currently"
            | "rose"
            | "risen"
            | "rises"
            | "climbed"
            | "climbs"
            | "increased"
            | "grew"
            | "grown"
            | "fell"
            | "fallen"
            | "dropped"
            | "declined"
            | "reached"
            | "jumped"
            | "surged"
            | "toll"
            | "tally"
            | "latest"
            | "cumulative"
    )
}

/// An all-capitals section label of four letters or more: `RESULTS`, `METHODS`.
fn is_heading_label(t: &str) -> bool {
    t.len() >= 4 && t.bytes().all(|b| b.is_ascii_uppercase())
}

/// Units of measure: part of a quantity, not of the subject ("pg/ml", "10 MB").
fn is_unit(w: &str) -> bool {
    matches!(
        w,
        "mg" | "kg"
            | "ml"
            | "dl"
            | "pg"
            | "ng"
            | "ug"
            | "µg"
            | "mmol"
            | "mol"
            | "mm"
            | "cm"
            | "km"
            | "kb"
            | "mb"
            | "gb"
            | "tb"
            | "hz"
            | "khz"
            | "mhz"
            | "ghz"
            | "ms"
            | "kcal"
            | "mmhg"
            | "iu"
            | "bpm"
            | "px"
            | "pt"
            | "nm"
            | "μm"
            | "um"
    )
}

/// Words that bound a figure: "more than", "at least", "up to", "below".
fn is_comparator(w: &str) -> bool {
    matches!(
        w,
        "more"
            | "less"
            | "fewer"
            | "greater"
            | "over"
            | "under"
            | "least"
            | "most"
            | "above"
            | "below"
            | "max"
            | "maximum"
            | "min"
            | "minimum"
            | "exactly"
            | "before"
            | "after"
    )
}

/// Words that a page, section or list number follows.
fn is_label_word(w: &str) -> bool {
    matches!(
        w,
        "chapter"
            | "section"
            | "page"
            | "part"
            | "step"
            | "item"
            | "note"
            | "notes"
            | "table"
            | "figure"
            | "appendix"
            | "continued"
    )
}

fn is_meridiem(w: &str) -> bool {
    matches!(w, "am" | "pm" | "a.m" | "p.m" | "a.m." | "p.m.")
}

/// Parses `12`, `1,200`, `12.5`, `$39`, `39%`, `30-day`, `6–13`, `6/30` into a value and its
/// decorations.
fn parse_number(token: &str) -> Option<(Option<char>, f64, bool, Option<&str>)> {
    let mut t = token;
    let currency = t.chars().next().filter(|c| matches!(c, '$' | '€' | '£'));
    if let Some(c) = currency {
        t = &t[c.len_utf8()..];
    }
    let (num, rest) = match t.find(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.')) {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, ""),
    };
    let num = num.trim_end_matches(['.', ',']);
    if num.is_empty() || !num.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let value: f64 = num.replace(',', "").parse().ok()?;
    let percent = rest == "%";
    let suffix = rest.strip_prefix(['-', '–']).filter(|s| !s.is_empty());
    // "6/30 mice", "2.8/100": the first number is the figure; the unit is the next word.
    let ratio = rest.len() > 1 && rest.starts_with('/');
    if !rest.is_empty() && !percent && suffix.is_none() && !ratio {
        return None;
    }
    Some((currency, value, percent, suffix))
}

/// A date written as one token: `12/31/2014`, `2014-12-31`, `31.12.2014`.
fn is_date_token(t: &str) -> bool {
    if t.len() < 5
        || !t.starts_with(|c: char| c.is_ascii_digit())
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'/' | b'-' | b'.'))
    {
        return false;
    }
    let parts: Vec<&str> = t.split(['/', '-', '.']).collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
        && t.chars()
            .filter(|c| !c.is_ascii_digit())
            .collect::<FxHashSet<_>>()
            .len()
            == 1
}

/// A clock time written as one token: `18:30`, `8pm`, `8:30a.m.`.
fn is_clock_token(t: &str) -> bool {
    let t = t.to_ascii_lowercase();
    let core = t
        .strip_suffix("a.m")
        .or_else(|| t.strip_suffix("p.m"))
        .or_else(|| t.strip_suffix("am"))
        .or_else(|| t.strip_suffix("pm"));
    let (body, meridiem) = match core {
        Some(c) => (c, true),
        None => (t.as_str(), false),
    };
    let mut parts = body.split(':');
    let h = parts.next().unwrap_or("");
    let m = parts.next();
    let digits = |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    digits(h) && parts.next().is_none() && (m.is_some_and(digits) || (m.is_none() && meridiem))
}

/// A line of code rather than prose: `mockFn.mockImplementation(x => 36 + x);`, `a = 5`.
fn looks_like_code(s: &str) -> bool {
    let t = s.trim_end();
    let first = s.split_whitespace().next().unwrap_or("");
    s.contains("=>")
        || matches!(
            first,
            "const" | "let" | "var" | "import" | "return" | "export"
        )
        || s.contains('{')
        || s.contains('}')
        || t.ends_with(';')
        || s.split_whitespace().any(|w| {
            let w = w.trim_start_matches(['(', '`']);
            w.contains('(')
                && w.split('(').next().is_some_and(|f| {
                    f.contains('.')
                        && f.chars()
                            .all(|c| c.is_alphanumeric() || c == '.' || c == '_')
                })
        })
}

/// A sentence's template, its quantities and what it is about, as compact hashed facts: the
/// sentence itself is a byte span of its document's text (read back only for the pairs
/// reported), its words are hashes. At a million short documents there are about as many
/// statements, and their strings were most of the audit's peak memory.
struct Statement {
    doc: usize,
    /// Where the sentence is in its document's text (bytes; already trimmed).
    start: u32,
    len: u32,
    /// Sorted, unique token and bigram hashes.
    template: Box<[u64]>,
    /// The sentence's form: its content words and the kinds of its quantities.
    form: u64,
    /// What aligned statements must share: the kinds of their quantities, scope and
    /// comparison words ([`alignment_key`]).
    alignment: u64,
    quantities: Box<[Quantity]>,
    /// Content words (lower-cased, plural `s` removed), hashed; sorted.
    content: Box<[u64]>,
    /// Content words written with a capital letter (names), hashed; sorted.
    names: Box<[u64]>,
    /// The content words as a 128-bit bitmap (one bit per word hash): a bound on how many words
    /// two statements share, without merging their lists ([`may_share_subject`]).
    content_bits: u128,
    /// Time-scope markers (`year:2015`, `day:29`, `dec`, `friday`, …), sorted and unique, hashed
    /// as one value.
    scope: u64,
    /// Comparison words, in order, hashed as one value.
    comparators: u64,
    /// Speaks of a changing figure.
    change: bool,
    /// A table row or a line of code: not a statement on its own.
    table_row: bool,
}

impl Statement {
    /// The sentence, read back from its document's text.
    fn text(&self, texts: &dyn Texts) -> String {
        let start = self.start as usize;
        texts
            .text(self.doc)
            .get(start..start + self.len as usize)
            .unwrap_or_default()
            .to_string()
    }
}

/// A content word's normal form: lower case, a plural `s` removed.
fn normal(w: &str) -> String {
    if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
        w[..w.len() - 1].to_string()
    } else {
        w.to_string()
    }
}

fn trim_token(t: &str) -> &str {
    t.trim_matches(|c: char| {
        matches!(
            c,
            '(' | ')'
                | '*'
                | '`'
                | '"'
                | ','
                | ';'
                | ':'
                | '.'
                | '!'
                | '?'
                | '['
                | ']'
                | '“'
                | '”'
                | '\''
        )
    })
}

/// A sentence read word by word: its tokens (quantities and time scope as placeholders), its
/// quantities and what it is about.
#[derive(Default)]
struct Reading {
    tokens: Vec<String>,
    quantities: Vec<Quantity>,
    content: Vec<String>,
    names: Vec<String>,
    scope: Vec<String>,
    /// Comparison words, in order: "more than 10" and "less than 20" say different things.
    comparators: Vec<String>,
    change: bool,
}

fn read(sentence: &str) -> Reading {
    let raw: Vec<&str> = sentence.split_whitespace().collect();
    let lower: Vec<String> = raw.iter().map(|t| trim_token(t).to_lowercase()).collect();
    let mut tokens: Vec<String> = Vec::new();
    let mut quantities = Vec::new();
    let mut content: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut scope: Vec<String> = Vec::new();
    let mut change = false;
    let mut comparators: Vec<String> = Vec::new();
    // Leading section labels ("RESULTS", "METHODS") head the sentence; they say nothing of it.
    let mut i = 0;
    while i + 1 < raw.len() && is_heading_label(trim_token(raw[i])) {
        i += 1;
    }
    let start = i;
    while i < raw.len() {
        let tok = trim_token(raw[i]);
        let next = lower.get(i + 1).map(String::as_str).unwrap_or("");
        let prev = if i > 0 { lower[i - 1].as_str() } else { "" };
        if change_word(&lower[i])
            || matches!(
                (lower[i].as_str(), next),
                ("so", "far") | ("to", "date") | ("as", "of")
            )
        {
            change = true;
        }
        // "> 7 mmol/l" written as ">7": the sign bounds the figure.
        let tok = match tok.char_indices().next() {
            Some((_, c @ ('>' | '<' | '≥' | '≤' | '~' | '≈')))
                if tok[c.len_utf8()..].starts_with(|d: char| d.is_ascii_digit()) =>
            {
                comparators.push(
                    if matches!(c, '>' | '≥') {
                        "more"
                    } else if matches!(c, '<' | '≤') {
                        "less"
                    } else {
                        "about"
                    }
                    .to_string(),
                );
                &tok[c.len_utf8()..]
            }
            _ => tok,
        };
        if is_clock_token(tok) {
            tokens.push("<time>".into());
            i += 1;
            continue;
        }
        if is_date_token(tok) {
            scope.push(format!("date:{tok}"));
            tokens.push("<date>".into());
            i += 1;
            continue;
        }
        if let Some((currency, value, percent, suffix)) = parse_number(tok) {
            let integer = value.fract() == 0.0 && !tok.contains('.');
            let plain = currency.is_none() && !percent && suffix.is_none() && integer;
            // A suffix is the unit ("30-day") unless it is the end of a range ("6–13 weeks").
            let suffix = suffix.filter(|x| !x.starts_with(|c: char| c.is_ascii_digit()));
            let unit = suffix
                .map(str::to_lowercase)
                .unwrap_or_else(|| next.to_string());
            if plain && value <= 24.0 && is_meridiem(next) {
                // A clock time: "8 p.m.".
                tokens.push("<time>".into());
                i += 2;
                continue;
            }
            let digits = tok.trim_start_matches(|c: char| !c.is_ascii_digit());
            let num_len = digits
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(digits.len());
            let year_like = currency.is_none()
                && !percent
                && integer
                && num_len == 4
                && (1900.0..=2100.0).contains(&value)
                && duration_hours(&unit).is_none()
                && unit != "percent";
            if year_like {
                scope.push(format!("year:{value}"));
                tokens.push("<year>".into());
                i += 1;
                continue;
            }
            let after_may = i > 0 && trim_token(raw[i - 1]) == "May";
            if plain
                && (1.0..=31.0).contains(&value)
                && (is_month(prev) || is_month(next) || after_may)
            {
                scope.push(format!("day:{value}"));
                tokens.push("<day>".into());
                i += 1;
                continue;
            }
            let last = i + 1 == raw.len();
            let labelled = i > 0 && (raw[i - 1].ends_with(')') || is_label_word(prev));
            if plain && ((i == start && matches!(next, "the" | "a" | "an")) || (last && labelled)) {
                // A page, section or list number: "44 the PNC Financial Services Group",
                // "Notes to financial statements (continued) 7".
                tokens.push("<label>".into());
                i += 1;
                continue;
            }
            let q = if let Some(c) = currency {
                Quantity::Money {
                    currency: c,
                    amount: value,
                }
            } else if percent || next == "percent" {
                Quantity::Percent(value)
            } else if let Some(h) = duration_hours(&unit) {
                if suffix.is_none() {
                    i += 1; // the unit word is part of the quantity
                }
                Quantity::Duration(value * h)
            } else {
                Quantity::Number(value)
            };
            tokens.push(q.placeholder().to_string());
            quantities.push(q);
            i += 1;
            continue;
        }
        let capital = tok.chars().next().is_some_and(char::is_uppercase);
        for (k, w) in words(tok).into_iter().enumerate() {
            if is_comparator(&w) {
                comparators.push(w.clone());
            }
            if let Some(s) = scope_word(&w).or(if w == "may" && capital && k == 0 && i > 0 {
                Some("may")
            } else {
                None
            }) {
                scope.push(s.to_string());
            } else if w == "quarter" && matches!(prev, "first" | "second" | "third" | "fourth") {
                scope.push(format!("quarter:{prev}"));
            } else if w.len() >= 2
                && w.chars().all(char::is_alphabetic)
                && !stop_words().contains(w.as_str())
                && duration_hours(&w).is_none()
                && !is_unit(&w)
                && !is_meridiem(&w)
            {
                let n = normal(&w);
                if capital && k == 0 {
                    names.push(n.clone());
                }
                content.push(n);
            } else if w.len() > 2
                && w.starts_with("fy")
                && w[2..].bytes().all(|b| b.is_ascii_digit())
            {
                scope.push(format!("year:{}", &w[2..]));
            }
            tokens.push(w);
        }
        i += 1;
    }
    for v in [&mut content, &mut names, &mut scope] {
        v.sort_unstable();
        v.dedup();
    }
    Reading {
        tokens,
        quantities,
        content,
        names,
        scope,
        comparators,
        change,
    }
}

/// The statement of `sentence`, a slice of `text` (the text of document `doc`), if it states
/// a quantity.
fn statement(doc: usize, text: &str, sentence: &str) -> Option<Statement> {
    // Every quantity is read from a token holding an ASCII digit: a sentence without one is
    // no statement, and most sentences are left here without being read word by word.
    if !sentence.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let Reading {
        tokens,
        quantities,
        content,
        names,
        scope,
        comparators,
        change,
    } = read(sentence);
    if quantities.is_empty() || tokens.len() < 4 {
        return None;
    }
    let kinds: Vec<&'static str> = quantities.iter().map(Quantity::placeholder).collect();
    // The form is what the sentence says, whatever the order and the little words.
    let form = stable_hash(&(&content, &kinds));
    let alignment = alignment_key(&kinds, &scope, &comparators);
    // The template leaves out stop words ("in 2 days" and "within 3 days" align) but keeps
    // comparison words; bigrams keep some word order, so "14 days to 30" and "30 days to 14"
    // stay apart.
    let kept: Vec<&String> = tokens
        .iter()
        .filter(|t| !stop_words().contains(t.as_str()) || is_comparator(t))
        .collect();
    let mut template: Vec<u64> = kept.iter().map(stable_hash).collect();
    template.extend(kept.windows(2).map(stable_hash));
    template.sort_unstable();
    template.dedup();
    let table_row = sentence.contains('|') || looks_like_code(sentence);
    let sentence = sentence.trim();
    // `sentence` is a slice of `text`: its offset is the distance between their starts.
    let start = (sentence.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    let hashed = |words: &[String]| -> Box<[u64]> {
        let mut h: Vec<u64> = words.iter().map(stable_hash).collect();
        h.sort_unstable();
        h.into_boxed_slice()
    };
    let content = hashed(&content);
    Some(Statement {
        doc,
        content_bits: content.iter().fold(0u128, |bits, &h| bits | 1 << bit_of(h)),
        start: u32::try_from(start).ok()?,
        len: u32::try_from(sentence.len()).ok()?,
        template: template.into_boxed_slice(),
        form,
        alignment,
        quantities: quantities.into_boxed_slice(),
        content,
        names: hashed(&names),
        scope: stable_hash(&scope),
        comparators: stable_hash(&comparators),
        change,
        table_row,
    })
}

/// Sentences: split at `.`, `!` or `?` followed by whitespace (not after an abbreviation with
/// inner dots such as "p.m." or "e.g."), and at line breaks.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut start = 0;
        let bytes = line.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            if matches!(b, b'.' | b'!' | b'?')
                && bytes.get(i + 1).is_some_and(|n| n.is_ascii_whitespace())
            {
                let word_start = line[..i]
                    .rfind(char::is_whitespace)
                    .map_or(0, |p| p + 1)
                    .max(start);
                let word = &line[word_start..i];
                if b == b'.' && word.contains('.') && !word.bytes().any(|c| c.is_ascii_digit()) {
                    continue;
                }
                out.push(&line[start..=i]);
                start = i + 1;
            }
        }
        if start < line.len() {
            out.push(&line[start..]);
        }
    }
    out.into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Whether two documents are about the same thing: they share a tag when both are tagged;
/// otherwise they come from the same source, or their vocabularies overlap (Jaccard of words of
/// four letters or more ≥ 0.2). A password-reset link and a client-portal link may both "expire
/// after" some hours without contradicting each other.
fn same_topic(
    docs: &[Document],
    texts: &dyn Texts,
    i: usize,
    j: usize,
    vocab: &mut Vocabularies,
) -> bool {
    let (a, b) = (&docs[i], &docs[j]);
    if !a.tags.is_empty() && !b.tags.is_empty() {
        return a
            .tags
            .iter()
            .any(|t| b.tags.iter().any(|u| t.eq_ignore_ascii_case(u)));
    }
    if a.source.is_some() && a.source == b.source {
        return true;
    }
    vocab.make(texts, i);
    vocab.make(texts, j);
    jaccard_sorted(&vocab.by_doc[&i], &vocab.by_doc[&j]) >= 0.2
}

/// Each document's vocabulary for [`same_topic`] (its distinct words of four or more
/// characters, hashed and sorted), made once per document however many of its statements are
/// compared.
#[derive(Default)]
struct Vocabularies {
    by_doc: FxHashMap<usize, Vec<u64>>,
}

impl Vocabularies {
    fn make(&mut self, texts: &dyn Texts, i: usize) {
        self.by_doc.entry(i).or_insert_with(|| {
            let mut v: Vec<u64> = words(&texts.text(i))
                .into_iter()
                .filter(|w| w.chars().count() >= 4)
                .map(|w| stable_hash(&w))
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        });
    }
}

/// The scope a document's title names (years, months, days, …, and versions or other
/// numbers), sorted.
fn title_scope(d: &Document) -> Vec<String> {
    let Some(title) = d.title.as_deref() else {
        return Vec::new();
    };
    let mut scope = read(title).scope;
    // Versions and numbers named in a title scope the page too: "From v27 to v28" and
    // "From v28 to v29" are about different upgrades.
    scope.extend(
        words(title)
            .into_iter()
            .filter(|w| {
                let n = w.strip_prefix('v').unwrap_or(w);
                !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
            })
            .map(|w| format!("title:{}", w.trim_start_matches('v'))),
    );
    scope.sort_unstable();
    scope.dedup();
    scope
}

/// A word hash's bit in [`Statement::content_bits`] (the top seven bits of the hash mixed).
fn bit_of(h: u64) -> u32 {
    (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 57) as u32
}

/// Whether two statements may share enough content words for [`same_subject`]: an upper bound
/// from their bitmaps ([`shared_bound`]), never false when `same_subject` is true.
fn may_share_subject(a: &Statement, b: &Statement) -> bool {
    subject_bound(
        (a.content_bits, a.content.len()),
        (b.content_bits, b.content.len()),
    )
}

/// [`may_share_subject`] of two statements given by their content bitmaps and numbers of
/// content words.
fn subject_bound((bits_a, len_a): (u128, usize), (bits_b, len_b): (u128, usize)) -> bool {
    let shared = shared_bound(
        (bits_a & bits_b).count_ones() as usize,
        (len_a, bits_a.count_ones() as usize),
        (len_b, bits_b.count_ones() as usize),
    );
    shared >= MIN_CONTENT && 2 * shared >= len_a.max(len_b)
}

/// An upper bound on the hashes two sets share, from bitmaps with one bit per hash: `common`
/// bits set in both, and each set's number of hashes and of bits set. The hashes both hold set
/// bits both bitmaps hold; the hashes of one set on a set of bits number at most the bits plus
/// its hashes that share a bit with another of its hashes (its length less its bit count).
fn shared_bound(
    common: usize,
    (len_a, ones_a): (usize, usize),
    (len_b, ones_b): (usize, usize),
) -> usize {
    common
        + len_a
            .saturating_sub(ones_a)
            .min(len_b.saturating_sub(ones_b))
}

/// The number of hashes two sorted lists share, matched one to one.
fn shared_count(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared
}

/// Whether two aligned statements are about the same subject: enough shared content words, and
/// no name (or more than one word each way) swapped. Words are compared by their hashes (sorted),
/// so every test is a merge of two short lists.
fn same_subject(a: &Statement, b: &Statement) -> bool {
    let shared = shared_count(&a.content, &b.content);
    if shared < MIN_CONTENT || 2 * shared < a.content.len().max(b.content.len()) {
        return false;
    }
    let only_a = a.content.len() - shared;
    let only_b = b.content.len() - shared;
    if only_a == 0 || only_b == 0 {
        return true; // one sentence adds words to the other: the same statement, reworded
    }
    // A name among the words only one sentence has.
    let named_only = |x: &Statement, y: &Statement| {
        x.names
            .iter()
            .any(|n| x.content.binary_search(n).is_ok() && y.content.binary_search(n).is_err())
    };
    let named = named_only(a, b) || named_only(b, a);
    !named && only_a == 1 && only_b == 1
}

/// What two statements must share to be aligned at all: the number and kinds of their
/// quantities, their time scope and their comparison words (see [`aligned`]).
fn alignment_key(kinds: &[&'static str], scope: &[String], comparators: &[String]) -> u64 {
    stable_hash(&(kinds, scope, comparators))
}

/// The tests of [`aligned`] before the Jaccard of the templates: the same kinds of quantities
/// with some value different, the same time scope and comparison words, and template sizes that
/// allow the Jaccard (a few comparisons, made first on every candidate pair).
fn may_align(a: &Statement, b: &Statement, threshold: f64) -> bool {
    if a.quantities.len() != b.quantities.len() {
        return false;
    }
    // The cheap tests first: most candidate pairs differ in their quantities' kinds or scope,
    // and the Jaccard of their templates is then never needed.
    let kinds_match = a
        .quantities
        .iter()
        .zip(&b.quantities)
        .all(|(x, y)| x.placeholder() == y.placeholder());
    let differ = a
        .quantities
        .iter()
        .zip(&b.quantities)
        .any(|(x, y)| !x.same(y));
    if !kinds_match || !differ || a.scope != b.scope || a.comparators != b.comparators {
        return false;
    }
    lengths_may_align(a.template.len(), b.template.len(), threshold)
}

/// Whether templates of these lengths may be aligned: Jaccard is at most the ratio of the
/// sizes, so templates of very different lengths are never alike (a margin keeps the exact test
/// the judge at the edge).
fn lengths_may_align(len_a: usize, len_b: usize, threshold: f64) -> bool {
    (len_a.min(len_b) as f64) >= (threshold - 0.1 - 1e-9) * len_a.max(len_b) as f64
}

/// The Jaccard of two statements' templates when they are aligned: the same kinds of
/// quantities with some value different, the same time scope and comparison words, and
/// templates alike (Jaccard at least `threshold`, or within 0.1 of it when the shorter is
/// nearly contained in the longer).
fn aligned(a: &Statement, b: &Statement, threshold: f64) -> Option<f64> {
    if !may_align(a, b, threshold) {
        return None;
    }
    let short = a.template.len().min(b.template.len());
    let sim = jaccard_sorted(&a.template, &b.template);
    let inter = (sim * (a.template.len() + b.template.len()) as f64 / (1.0 + sim)).round();
    let contained = inter / short as f64;
    if sim < threshold && !(sim >= threshold - 0.1 && contained >= 0.9) {
        return None;
    }
    Some(sim)
}

fn values(s: &Statement) -> u64 {
    stable_hash(&s.quantities.iter().map(Quantity::key).collect::<Vec<_>>())
}

/// What the audit keeps of every statement while it looks for the pairs to compare: enough to
/// apply the tests of a pair that need no words or quantities (96 bytes, where a
/// [`Statement`] with its template, words and quantities takes several hundred). Only the
/// statements of the pairs these tests let through are read again in full ([`restate`]): at a
/// million real-length pages there are some thirteen million statements, and holding them
/// whole was most of the audit's memory.
struct Sketch {
    doc: usize,
    /// Which of its document's [`sentences`] it is.
    sentence: u32,
    form: u64,
    alignment: u64,
    /// [`values`]: the quantities' keys, hashed as one value.
    values: u64,
    content_bits: u128,
    /// The template's hashes as a 256-bit bitmap: a bound on the Jaccard of two templates
    /// ([`template_bound`]).
    template_bits: [u64; 4],
    content_len: u32,
    template_len: u32,
    table_row: bool,
}

impl Sketch {
    fn of(s: &Statement, sentence: usize) -> Sketch {
        Sketch {
            doc: s.doc,
            sentence: u32::try_from(sentence).unwrap_or(u32::MAX),
            form: s.form,
            alignment: s.alignment,
            values: values(s),
            content_bits: s.content_bits,
            template_bits: s.template.iter().fold([0u64; 4], |mut bits, &h| {
                let bit = template_bit(h);
                bits[bit / 64] |= 1 << (bit % 64);
                bits
            }),
            content_len: u32::try_from(s.content.len()).unwrap_or(u32::MAX),
            template_len: u32::try_from(s.template.len()).unwrap_or(u32::MAX),
            table_row: s.table_row,
        }
    }
}

/// A template hash's bit in [`Sketch::template_bits`] (the top eight bits of the hash mixed).
fn template_bit(h: u64) -> usize {
    (h.wrapping_mul(0xD6E8_FEB8_6659_FD93) >> 56) as usize
}

/// Whether two sketched statements' templates may be similar enough for [`aligned`] (Jaccard at
/// least `threshold` − 0.1 in either of its tests): an upper bound, never false when `aligned`
/// holds, as Jaccard grows with the intersection ([`shared_bound`] bounds it).
fn template_bound(a: &Sketch, b: &Sketch, threshold: f64) -> bool {
    let ones = |bits: &[u64; 4]| bits.iter().map(|w| w.count_ones() as usize).sum::<usize>();
    let common: usize = (0..4)
        .map(|k| (a.template_bits[k] & b.template_bits[k]).count_ones() as usize)
        .sum();
    let (len_a, len_b) = (a.template_len as usize, b.template_len as usize);
    let inter = shared_bound(
        common,
        (len_a, ones(&a.template_bits)),
        (len_b, ones(&b.template_bits)),
    )
    .min(len_a.min(len_b));
    let union = len_a + len_b - inter;
    union == 0 || inter as f64 / union as f64 >= threshold - 0.1 - 1e-9
}

/// The banding of the statements' templates (fixed, so that every run pairs the same
/// statements).
fn statement_hasher() -> MinHasher {
    MinHasher::new(16, 2, 0xc0ff)
}

/// What documents state, over all statements: which forms are boilerplate, which documents
/// state a form with several values, and whether a document states a given form and value.
struct Stated {
    /// (form, document, values), sorted and unique (one flat list; a hash set per form and per
    /// document was most of the memory at a million short documents).
    stated: Vec<(u64, usize, u64)>,
    /// Sentence forms filled in by many documents with different values: boilerplate.
    boilerplate_forms: FxHashSet<u64>,
    /// A document stating one form with several values speaks of several things (two
    /// segments, two plans).
    several_values: FxHashSet<(usize, u64)>,
}

impl Stated {
    fn new(sketches: &[Sketch]) -> Stated {
        let mut stated: Vec<(u64, usize, u64)> =
            sketches.iter().map(|s| (s.form, s.doc, s.values)).collect();
        stated.par_sort_unstable();
        stated.dedup();
        let mut boilerplate_forms: FxHashSet<u64> = FxHashSet::default();
        let mut several_values: FxHashSet<(usize, u64)> = FxHashSet::default();
        for form in stated.chunk_by(|x, y| x.0 == y.0) {
            let by_doc: Vec<&[(u64, usize, u64)]> = form.chunk_by(|x, y| x.1 == y.1).collect();
            for d in &by_doc {
                if d.len() > 1 {
                    several_values.insert((d[0].1, d[0].0));
                }
            }
            if by_doc.len() >= BOILERPLATE_DOCS {
                let mut v: Vec<u64> = form.iter().map(|x| x.2).collect();
                v.sort_unstable();
                v.dedup();
                if v.len() >= 3 {
                    boilerplate_forms.insert(form[0].0);
                }
            }
        }
        Stated {
            stated,
            boilerplate_forms,
            several_values,
        }
    }

    /// Whether a statement (by its document, form, words and kind of sentence) can be evidence.
    fn evidence(&self, doc: usize, form: u64, content_len: usize, table_row: bool) -> bool {
        content_len >= MIN_CONTENT
            && !table_row
            && !self.boilerplate_forms.contains(&form)
            && !self.several_values.contains(&(doc, form))
    }

    /// Whether `doc` states `other`'s form with `other`'s value too (then it does not
    /// contradict it).
    fn also_states(&self, doc: usize, other: &Sketch) -> bool {
        self.stated
            .binary_search(&(other.form, doc, other.values))
            .is_ok()
    }
}

/// The statements of the current documents (`currents`, in order), sketched, and the band keys
/// of their templates: each text read once, a batch of `batch` documents at a time, its
/// statements dropped once sketched.
fn sketch_statements(
    texts: &dyn Texts,
    currents: &[usize],
    hasher: &MinHasher,
    batch: usize,
) -> (Vec<Sketch>, Bands) {
    let mut sketches = Vec::new();
    let mut bands = hasher.no_bands();
    for chunk in currents.chunks(batch.max(1)) {
        let part: Vec<(Sketch, Option<Box<[u64]>>)> = chunk
            .par_iter()
            .flat_map_iter(|&i| {
                let text = texts.text(i);
                sentences(&text)
                    .into_iter()
                    .enumerate()
                    .filter_map(|(k, s)| {
                        let s = statement(i, &text, s)?;
                        Some((Sketch::of(&s, k), hasher.band_keys(&s.template)))
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        for (sketch, keys) in part {
            sketches.push(sketch);
            bands.push(keys.as_deref());
        }
    }
    (sketches, bands)
}

/// The statements `needed` names (indices into `sketches`, sorted and unique), made again from
/// their sentences (only those: a document's other sentences are not read again), a batch of
/// documents at a time: `(index, statement)` in index order. A statement its sentence no longer
/// yields (its file changed during the run) is left out, and its pairs with it.
fn restate(
    texts: &dyn Texts,
    sketches: &[Sketch],
    needed: &[usize],
    batch: usize,
) -> Vec<(usize, Statement)> {
    let runs: Vec<&[usize]> = needed
        .chunk_by(|&a, &b| sketches[a].doc == sketches[b].doc)
        .collect();
    let mut out = Vec::with_capacity(needed.len());
    for chunk in runs.chunks(batch.max(1)) {
        out.par_extend(chunk.par_iter().flat_map_iter(|run| {
            let doc = sketches[run[0]].doc;
            let text = texts.text(doc);
            let all = sentences(&text);
            run.iter()
                .filter_map(|&i| {
                    let sketch = &sketches[i];
                    let s = statement(doc, &text, all.get(sketch.sentence as usize)?)?;
                    (s.form == sketch.form && values(&s) == sketch.values).then_some((i, s))
                })
                .collect::<Vec<_>>()
        }));
    }
    out
}

/// What the aligned statements of current documents say to each other.
pub(crate) struct Disagreements {
    pub(crate) conflicts: Vec<Conflict>,
    pub(crate) updates: Vec<Update>,
}

pub(crate) fn find_conflicts(
    docs: &[Document],
    texts: &dyn Texts,
    current: &[bool],
    threshold: f64,
    batch: usize,
) -> Disagreements {
    let currents: Vec<usize> = (0..docs.len()).filter(|&i| current[i]).collect();
    let hasher = statement_hasher();
    // Every statement is banded (the ineligible too), so that each bucket, and the pairs its
    // cap of 200 members lets through, are those of the whole statement list.
    let (sketches, bands) = sketch_statements(texts, &currents, &hasher, batch);
    let stated = Stated::new(&sketches);
    let eligible: Vec<bool> = sketches
        .par_iter()
        .map(|s| stated.evidence(s.doc, s.form, s.content_len as usize, s.table_row))
        .collect();
    // The tests of a pair that its sketches answer, applied while the bands are scanned: the
    // chance pairs of short sentences that banding makes by the million are dropped there, in
    // parallel, and never listed. Each test is one [`disagree`] makes too (or a bound of
    // one), so no pair it would keep is lost.
    let pairs = hasher.candidates_where(&bands, |i, j| {
        let (a, b) = (&sketches[i], &sketches[j]);
        eligible[i]
            && eligible[j]
            && a.alignment == b.alignment
            && a.doc != b.doc
            && lengths_may_align(a.template_len as usize, b.template_len as usize, threshold)
            && template_bound(a, b, threshold)
            && subject_bound(
                (a.content_bits, a.content_len as usize),
                (b.content_bits, b.content_len as usize),
            )
            && !stated.also_states(a.doc, b)
            && !stated.also_states(b.doc, a)
    });
    drop(bands);
    let mut needed: Vec<usize> = pairs.iter().flat_map(|&(i, j)| [i, j]).collect();
    needed.par_sort_unstable();
    needed.dedup();
    let statements = restate(texts, &sketches, &needed, batch);
    let statement = |i: usize| {
        statements
            .binary_search_by_key(&i, |(k, _)| *k)
            .ok()
            .map(|k| &statements[k].1)
    };
    // The full tests in parallel; the judging of document pairs below is serial.
    let pairs: Vec<(usize, usize)> = pairs
        .into_par_iter()
        .filter(|&(i, j)| match (statement(i), statement(j)) {
            (Some(a), Some(b)) => {
                disagree(a, b, threshold, &stated, (&sketches[i], &sketches[j])).is_some()
            }
            _ => false,
        })
        .collect();
    disagreements(
        docs,
        texts,
        threshold,
        &sketches,
        &stated,
        pairs.into_iter(),
        statement,
    )
}

/// Every test of a pair of statements that depends on the pair alone: the Jaccard of their
/// templates when they are two statements of different documents that may disagree, each one
/// evidence, about the same subject, neither document stating the other's value too.
fn disagree(
    a: &Statement,
    b: &Statement,
    threshold: f64,
    stated: &Stated,
    (sketch_a, sketch_b): (&Sketch, &Sketch),
) -> Option<f64> {
    let evidence = |s: &Statement| stated.evidence(s.doc, s.form, s.content.len(), s.table_row);
    if a.doc == b.doc || a.alignment != b.alignment || !may_share_subject(a, b) {
        return None;
    }
    let sim = aligned(a, b, threshold)?;
    let pass = evidence(a)
        && evidence(b)
        && same_subject(a, b)
        && !stated.also_states(a.doc, sketch_b)
        && !stated.also_states(b.doc, sketch_a);
    pass.then_some(sim)
}

/// The conflicts and updates among candidate `pairs` of statements (sorted; the statement of an
/// index from `statement`, `None` when it could not be read again): each pair tested in full,
/// then each pair of documents judged once, by their first pair of statements that passes.
fn disagreements<'s>(
    docs: &[Document],
    texts: &dyn Texts,
    threshold: f64,
    sketches: &[Sketch],
    stated: &Stated,
    pairs: impl Iterator<Item = (usize, usize)>,
    statement: impl Fn(usize) -> Option<&'s Statement>,
) -> Disagreements {
    let mut seen_pairs: FxHashSet<(usize, usize)> = FxHashSet::default();
    let mut topics: FxHashMap<(usize, usize), bool> = FxHashMap::default();
    let mut vocab = Vocabularies::default();
    let mut title_scopes: FxHashMap<usize, Vec<String>> = FxHashMap::default();
    let mut out = Disagreements {
        conflicts: Vec::new(),
        updates: Vec::new(),
    };
    for (i, j) in pairs {
        let (Some(a), Some(b)) = (statement(i), statement(j)) else {
            continue;
        };
        let Some(sim) = disagree(a, b, threshold, stated, (&sketches[i], &sketches[j])) else {
            continue;
        };
        let (a, b) = if docs[a.doc].id <= docs[b.doc].id {
            (a, b)
        } else {
            (b, a)
        };
        if seen_pairs.contains(&(a.doc, b.doc)) {
            continue;
        }
        let topic = *topics
            .entry((a.doc, b.doc))
            .or_insert_with(|| same_topic(docs, texts, a.doc, b.doc, &mut vocab));
        if !topic {
            continue;
        }
        let ta = title_scopes
            .entry(a.doc)
            .or_insert_with(|| title_scope(&docs[a.doc]))
            .clone();
        let tb = title_scopes
            .entry(b.doc)
            .or_insert_with(|| title_scope(&docs[b.doc]));
        if !ta.is_empty() && !tb.is_empty() && ta != *tb {
            continue;
        }
        seen_pairs.insert((a.doc, b.doc));
        let dates = (docs[a.doc].updated_at, docs[b.doc].updated_at);
        match dates {
            (Some(da), Some(db)) if da != db && (a.change || b.change) => {
                let (old, new) = if da < db { (a, b) } else { (b, a) };
                out.updates.push(Update {
                    older: docs[old.doc].id.clone(),
                    newer: docs[new.doc].id.clone(),
                    sentence_older: old.text(texts),
                    sentence_newer: new.text(texts),
                    similarity: sim,
                });
            }
            _ => out.conflicts.push(Conflict {
                doc_a: docs[a.doc].id.clone(),
                doc_b: docs[b.doc].id.clone(),
                sentence_a: a.text(texts),
                sentence_b: b.text(texts),
                similarity: sim,
            }),
        }
    }
    out.conflicts
        .sort_by(|x, y| x.doc_a.cmp(&y.doc_a).then(x.doc_b.cmp(&y.doc_b)));
    out.updates
        .sort_by(|x, y| x.older.cmp(&y.older).then(x.newer.cmp(&y.newer)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ragdiag_core::Timestamp;

    #[test]
    fn quantities_are_normalised() {
        let text = "The download link expires after 72 hours and costs $5, or 10% of 3 items.";
        let s = statement(0, text, text).unwrap();
        assert_eq!(
            s.quantities.to_vec(),
            vec![
                Quantity::Duration(72.0),
                Quantity::Money {
                    currency: '$',
                    amount: 5.0
                },
                Quantity::Percent(10.0),
                Quantity::Number(3.0)
            ]
        );
        let text = "Offers a 30-day trial for 1,200 users.";
        let t = statement(0, text, text).unwrap();
        assert_eq!(
            t.quantities.to_vec(),
            vec![Quantity::Duration(720.0), Quantity::Number(1200.0)]
        );
        let text = "No numbers in this sentence at all.";
        assert!(statement(0, text, text).is_none());
    }

    #[test]
    fn clock_times_years_and_days_are_scope_not_quantities() {
        let r =
            read("Doors open at 8 p.m., 18:30 or 9am on Friday, December 29, 2017 for 3 guests.");
        assert_eq!(r.quantities, vec![Quantity::Number(3.0)]);
        assert_eq!(r.scope, ["day:29", "dec", "friday", "year:2017"]);
        assert!(r.tokens.iter().filter(|t| *t == "<time>").count() == 3);
        let r = read("In the week ending July 7, rates fell in the third quarter of FY2023.");
        assert_eq!(
            r.scope,
            ["day:7", "jul", "quarter:third", "year:2023"],
            "{:?}",
            r.tokens
        );
        assert!(r.change, "'fell' marks a changing figure");
        // Capitalised May next to a day is a month; the modal verb is not.
        assert_eq!(read("Paid on May 5 to 10 people.").scope, ["day:5", "may"]);
        assert!(read("Refunds may take 5 days.").scope.is_empty());
        // Dates in one token are scope; ratios, en-dash ranges and signed bounds are figures.
        let r = read("On 12/31/2014 leukemias in 6/30 mice at 6–13 weeks with urea >7 mmol/l.");
        assert_eq!(r.scope, ["date:12/31/2014"]);
        assert_eq!(
            r.quantities,
            vec![
                Quantity::Number(6.0),
                Quantity::Duration(6.0 * 24.0 * 7.0),
                Quantity::Number(7.0)
            ]
        );
        assert_eq!(r.comparators, ["more"]);
    }

    #[test]
    fn content_words_and_names() {
        let r = read("Brazil won 4-1 to advance to the quarterfinals in 3 days.");
        assert_eq!(r.content, ["advance", "brazil", "quarterfinal", "won"]);
        assert_eq!(r.names, ["brazil"]);
        assert!(read("and what was it in 2015?").content.is_empty());
    }

    /// Over every ordered pair of `statements` (by index): how many pairs `holds` and how many
    /// others `bound` refuses, failing at a pair that holds and that `bound` refuses.
    fn bound_counts(
        statements: &[Statement],
        holds: impl Fn(usize, usize) -> bool,
        bound: impl Fn(usize, usize) -> bool,
    ) -> (usize, usize) {
        let (mut held, mut refused) = (0, 0);
        for i in 0..statements.len() {
            for j in 0..statements.len() {
                let bounded = bound(i, j);
                if holds(i, j) {
                    held += 1;
                    let (a, b) = (&statements[i], &statements[j]);
                    assert!(bounded, "{:?} / {:?}", a.content, b.content);
                } else if !bounded {
                    refused += 1;
                }
            }
        }
        (held, refused)
    }

    #[test]
    fn the_bitmap_bound_never_refuses_a_same_subject_pair() {
        // Sentences over a small vocabulary: many shared words, and bitmaps with collisions.
        let vocab = [
            "refund", "plan", "annual", "monthly", "purchase", "support", "team", "chat", "email",
            "invoice", "export", "link", "download", "storage", "limit", "user",
        ];
        let mut statements = Vec::new();
        for i in 0..300usize {
            let words: Vec<&str> = (0..(2 + i % 7))
                .map(|k| vocab[(i * 7 + k * 5) % 16])
                .collect();
            let text = format!("{} {} items.", words.join(" "), i + 1);
            statements.extend(statement(i, &text, &text));
        }
        assert!(statements.len() > 250);
        let (same, refused) = bound_counts(
            &statements,
            |i, j| same_subject(&statements[i], &statements[j]),
            |i, j| may_share_subject(&statements[i], &statements[j]),
        );
        assert!(
            same > 1_000 && refused > 1_000,
            "{same} same subject, {refused} refused"
        );
    }

    #[test]
    fn the_template_bound_never_refuses_an_aligned_pair() {
        // Sentences over a small vocabulary with one figure: many aligned pairs (Jaccard near
        // the threshold, and short templates nearly contained in long ones), and bitmaps with
        // collisions.
        let vocab = [
            "refund", "plan", "annual", "monthly", "purchase", "support", "team", "chat", "email",
            "invoice", "export", "link", "download", "storage", "limit", "user", "seat", "tier",
        ];
        let mut statements = Vec::new();
        for i in 0..400usize {
            let words: Vec<&str> = (0..(3 + i % 9))
                .map(|k| vocab[(i * 5 + k * k * 3 + k) % 18])
                .collect();
            let text = format!("The {} is {} days.", words.join(" "), 2 + i % 40);
            statements.extend(statement(i, &text, &text));
        }
        let sketches: Vec<Sketch> = statements.iter().map(|s| Sketch::of(s, 0)).collect();
        let (mut kept, mut refused) = (0, 0);
        for threshold in [0.6, 0.7, 0.8] {
            let (k, r) = bound_counts(
                &statements,
                |i, j| aligned(&statements[i], &statements[j], threshold).is_some(),
                |i, j| template_bound(&sketches[i], &sketches[j], threshold),
            );
            kept += k;
            refused += r;
        }
        assert!(
            kept > 1_000 && refused > 10_000,
            "{kept} aligned, {refused} refused"
        );
    }

    #[test]
    fn sentences_do_not_end_at_abbreviations() {
        assert_eq!(
            sentences("Open 9 a.m. to 5 p.m. daily. Closed e.g. on holidays! It was 0.40. Next"),
            [
                "Open 9 a.m. to 5 p.m. daily.",
                "Closed e.g. on holidays!",
                "It was 0.40.",
                "Next"
            ]
        );
    }

    #[test]
    fn code_and_table_rows_are_not_statements() {
        assert!(looks_like_code("mockFn.mockImplementation(x => 36 + x);"));
        assert!(looks_like_code("const limit = 5"));
        assert!(!looks_like_code("Subjects aged > or = 80 years."));
        assert!(!looks_like_code("The limit (per key) is 5 requests."));
        let text = "net sales | $9105 | $9202";
        let s = statement(0, text, text).unwrap();
        assert!(s.table_row);
    }

    /// The search as it was written first: every statement held whole, the candidate pairs of
    /// all their bands, each pair then tested in full.
    fn conflicts_held(docs: &[Document], current: &[bool], threshold: f64) -> Disagreements {
        let texts = &docs;
        let (statements, sketches): (Vec<Statement>, Vec<Sketch>) = (0..docs.len())
            .filter(|&i| current[i])
            .flat_map(|i| {
                let text = &docs[i].text;
                sentences(text)
                    .into_iter()
                    .enumerate()
                    .filter_map(|(k, s)| {
                        let s = statement(i, text, s)?;
                        let sketch = Sketch::of(&s, k);
                        Some((s, sketch))
                    })
                    .collect::<Vec<_>>()
            })
            .unzip();
        let stated = Stated::new(&sketches);
        let hasher = statement_hasher();
        let pairs = hasher.candidates(&hasher.bands(&statements, |s| &s.template, |_| false));
        disagreements(
            docs,
            texts,
            threshold,
            &sketches,
            &stated,
            pairs.into_iter(),
            |i| statements.get(i),
        )
    }

    /// Two lists equal, or a failure naming their lengths and first difference (the lists are
    /// long).
    fn same_list<T: PartialEq + std::fmt::Debug>(what: &str, ours: &[T], theirs: &[T]) {
        let k = ours
            .iter()
            .zip(theirs)
            .position(|(x, y)| x != y)
            .unwrap_or(ours.len().min(theirs.len()));
        assert!(
            ours == theirs,
            "{what}: {} against {}, first difference at {k}: {:?} / {:?}",
            ours.len(),
            theirs.len(),
            ours.get(k),
            theirs.get(k)
        );
    }

    #[test]
    fn sketched_search_finds_what_the_held_search_finds() {
        // Documents stating facts (one subject each, in a few documents, mostly with one value),
        // a sentence most documents share (a bucket over the 200 cap), per-document
        // boilerplate, forms stated twice with two values, dated changes, topics by tag and by
        // source.
        let patterns = [
            "The {a} {b} link expires after {n} days.",
            "Refunds for the {a} {b} plan are issued within {n} hours of the request.",
            "The {a} {b} tier costs ${n} per month for every seat.",
            "Storage for {a} {b} accounts has risen to {n} percent so far this year.",
            "Up to {n} {a} {b} exports can run at once.",
            "Support answers {a} {b} tickets within {n} hours on weekdays.",
        ];
        let vocab = [
            "annual", "team", "download", "invoice", "starter", "growth", "portal", "archive",
            "billing", "mobile", "partner", "report", "sandbox", "webhook", "backup", "audit",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let fact = |f: usize, value: u64| {
            patterns[f % patterns.len()]
                .replace("{a}", vocab[(f / 6) % 16])
                .replace("{b}", vocab[(f / 96 + f) % 16])
                .replace("{n}", &value.to_string())
        };
        let docs: Vec<Document> = (0..300)
            .map(|i| {
                let mut sentences = vec![format!(
                    "Our support team answers every billing email within {} hours.",
                    if next(20) == 0 { 48 } else { 24 }
                )];
                for _ in 0..(2 + next(4)) {
                    let f = next(400) as usize;
                    let base = 3 + (f as u64 * 7) % 50;
                    sentences.push(fact(f, if next(3) == 0 { base * 2 } else { base }));
                }
                if next(4) == 0 {
                    sentences.push(format!(
                        "Invoice {} was paid in full by the team.",
                        next(9000)
                    ));
                }
                if next(10) == 0 {
                    let f = next(400) as usize;
                    sentences.push(fact(f, 1 + next(5)));
                    sentences.push(fact(f, 90 + next(5)));
                }
                Document {
                    id: format!("doc-{:03}", (i * 7) % 300),
                    text: sentences.join(" "),
                    source: (next(3) == 0).then(|| format!("s{}", next(4))),
                    tags: if next(4) == 0 {
                        vec![format!("t{}", next(3))]
                    } else {
                        Vec::new()
                    },
                    updated_at: (next(2) == 0).then(|| {
                        Timestamp::parse(&format!("2025-{:02}-01", 1 + next(12))).unwrap()
                    }),
                    ..Document::default()
                }
            })
            .collect();
        let current: Vec<bool> = (0..docs.len()).map(|i| i % 11 != 5).collect();
        let held = conflicts_held(&docs, &current, 0.7);
        assert!(
            held.conflicts.len() > 50 && held.updates.len() > 20,
            "{} conflicts, {} updates",
            held.conflicts.len(),
            held.updates.len()
        );
        for batch in [1, 7, 10_000] {
            let sketched = find_conflicts(&docs, &docs.as_slice(), &current, 0.7, batch);
            same_list(
                &format!("batch {batch}: conflicts"),
                &sketched.conflicts,
                &held.conflicts,
            );
            same_list(
                &format!("batch {batch}: updates"),
                &sketched.updates,
                &held.updates,
            );
        }
    }

    fn d(id: &str, text: &str) -> Document {
        Document {
            id: id.into(),
            text: text.into(),
            ..Document::default()
        }
    }

    #[test]
    fn aligned_sentences_with_different_quantities_conflict() {
        let docs = vec![
            d("a", "# Export\n\nThe download link is emailed to you and expires after 7 days. Ask again if needed."),
            d("b", "Intro text. The download link is emailed to you and expires after 72 hours.\n"),
            d("c", "The download link is emailed to you and expires after 168 hours."),
            d("e", "Growth costs $39 per month and includes 3 users."),
            d("f", "Starter costs $19 per month and includes 1 user."),
        ];
        let c = find_conflicts(&docs, &docs.as_slice(), &[true; 5], 0.7, 5).conflicts;
        let pairs: Vec<(&str, &str)> = c
            .iter()
            .map(|x| (x.doc_a.as_str(), x.doc_b.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [("a", "b"), ("b", "c")],
            "7 days = 168 hours; plan prices are different statements"
        );
        assert!(c[0].sentence_a.contains("7 days"));
        let mut tagged = docs.clone();
        tagged[0].tags = vec!["exports".into()];
        tagged[1].tags = vec!["security".into()];
        tagged[2].tags = vec!["Exports".into()];
        let c = find_conflicts(&tagged, &tagged.as_slice(), &[true; 5], 0.7, 2).conflicts;
        assert!(c.is_empty(), "different topics, and a/c agree: {c:?}");
        let none = find_conflicts(
            &docs,
            &docs.as_slice(),
            &[true, false, true, true, true],
            0.7,
            1,
        )
        .conflicts;
        assert!(
            none.is_empty(),
            "stale documents are not compared: {none:?}"
        );
    }
}
