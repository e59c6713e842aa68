//! What changed between a superseded page and its current version: statements whose numbers,
//! defaults, flags, versions or names changed.
//!
//! **Statements.** A text is cut into statements: fenced code blocks, and lines of markup (HTML
//! or JSX tags, `import`/`export` lines of MDX), are skipped; paragraphs
//! (wrapped lines joined) are split into sentences after `.`, `?` or `!` followed by
//! whitespace; headings and list items are statements of their own; table rows are split into
//! cells. Whitespace is collapsed.
//!
//! **Tokens.** Whitespace-separated, compared by a key that leaves out case, backticks,
//! emphasis, brackets, a trailing `()`, sentence punctuation and link targets (`[text](url)`
//! is `text`): a change of formatting, case or link target alone is no change.
//!
//! **Alignment.** Statements of the old page that the new page no longer holds are paired
//! with new-only statements by token similarity (Dice over multisets of token keys, ≥
//! [`CHANGE_MIN_SIMILARITY`]); a pair is kept only when each is the other's unique best match (a tie is
//! no evidence).
//!
//! **A change of fact.** The pair must substitute tokens (some removed and some added), at most
//! `max(6, 30%)` of the longer statement's tokens — or only add tokens, when one of those names
//! code, a flag or a version (a list of accepted names grew) — and a changed token must be a number, a
//! version, a CLI flag, a code name (in backticks, or with `.`, `_`, `(` or inner capitals) or a
//! capitalised name; a statement about a default that changes such a value is also a `default`
//! change (rewording around the word "default" is not).

use ragdiag_core::Document;
use rustc_hash::FxHashMap;

/// Aligned statements must have at least this token similarity (Dice over token multisets).
pub const CHANGE_MIN_SIMILARITY: f64 = 0.6;

/// A statement that changed between an old document and its current version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementChange {
    /// The superseded document (the newest one holding the old statement).
    pub old_doc: String,
    /// The current document.
    pub new_doc: String,
    /// The old statement.
    pub old_statement: String,
    /// The new statement.
    pub new_statement: String,
    /// What changed: `number`, `version`, `flag`, `code`, `name`, `default`.
    pub kinds: Vec<&'static str>,
    /// Older documents that hold the same old statement with the same replacement.
    pub also_in: Vec<String>,
}

/// The statements of a text, in order, whitespace collapsed.
pub(crate) fn statements(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let mut fence: Option<&str> = None;
    let flush = |para: &mut Vec<&str>, out: &mut Vec<String>| {
        if para.is_empty() {
            return;
        }
        let joined = para.join(" ");
        para.clear();
        split_sentences(&joined, out);
    };
    for line in text.lines() {
        let t = line.trim();
        if let Some(f) = fence {
            if t.starts_with(f) {
                fence = None;
            }
            continue;
        }
        if t.starts_with("```") || t.starts_with("~~~") {
            flush(&mut para, &mut out);
            fence = Some(&t[..3]);
            continue;
        }
        if t.is_empty() {
            flush(&mut para, &mut out);
        } else if t.starts_with('<') || t.starts_with("import ") || t.starts_with("export ") {
            // JSX, HTML and module lines of MDX pages are markup, not statements.
            flush(&mut para, &mut out);
        } else if t.starts_with('#') {
            flush(&mut para, &mut out);
            out.push(collapse(t));
        } else if t.starts_with('|') {
            flush(&mut para, &mut out);
            for cell in t.split('|') {
                let c = collapse(cell);
                if !c.is_empty() && !c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')) {
                    out.push(c);
                }
            }
        } else if is_list_item(t) {
            flush(&mut para, &mut out);
            para.push(t);
        } else {
            para.push(t);
        }
    }
    flush(&mut para, &mut out);
    out
}

fn is_list_item(t: &str) -> bool {
    t.starts_with("- ")
        || t.starts_with("* ")
        || t.starts_with("+ ")
        || t.split_once(". ").is_some_and(|(n, _)| {
            !n.is_empty() && n.len() <= 3 && n.chars().all(|c| c.is_ascii_digit())
        })
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn split_sentences(text: &str, out: &mut Vec<String>) {
    let mut start = 0;
    let mut in_code = false;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        if c == '`' {
            in_code = !in_code;
        }
        if in_code || !matches!(c, '.' | '?' | '!') {
            continue;
        }
        if chars.get(k + 1).is_some_and(|&(_, n)| n.is_whitespace()) {
            let s = collapse(&text[start..=i]);
            if !s.is_empty() {
                out.push(s);
            }
            start = i + 1;
        }
    }
    let s = collapse(&text[start..]);
    if !s.is_empty() {
        out.push(s);
    }
}

/// A statement without link targets: `[text](url)` becomes `text`.
fn without_link_targets(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(k) = rest.find("](") {
        out.push_str(&rest[..=k]);
        let mut depth = 0usize;
        let mut end = rest.len();
        for (i, c) in rest[k + 1..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = k + 1 + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// A token: its comparison key (lower-cased, without backticks, emphasis, brackets, a trailing
/// `()` or sentence punctuation) and the token as written.
struct Token<'a> {
    key: String,
    orig: &'a str,
}

/// The tokens of a statement, link targets left out, so that formatting, case, punctuation and
/// link targets alone never make a change.
fn tokens(s: &str) -> Vec<Token<'_>> {
    s.split_whitespace()
        .filter_map(|orig| {
            let mut key: String = orig
                .chars()
                .filter(|c| !matches!(c, '`' | '*' | '[' | ']'))
                .collect();
            key = key
                .trim_end_matches([',', ';', ':', '.', '?', '!', '"', '\''])
                .to_lowercase();
            while let Some(k) = key.strip_suffix("()") {
                key = k.to_string();
            }
            key = key
                .trim_end_matches([')', ',', ';', ':', '.'])
                .trim_start_matches(['(', '"', '\''])
                .to_string();
            (!key.is_empty()).then_some(Token { key, orig })
        })
        .collect()
}

fn counts<'a>(t: &'a [Token<'_>]) -> FxHashMap<&'a str, usize> {
    let mut m = FxHashMap::default();
    for x in t {
        *m.entry(x.key.as_str()).or_default() += 1;
    }
    m
}

/// Dice similarity of two token multisets given their counts.
fn similarity(a: &FxHashMap<&str, usize>, la: usize, b: &FxHashMap<&str, usize>, lb: usize) -> f64 {
    if la == 0 || lb == 0 {
        return 0.0;
    }
    let common: usize = a
        .iter()
        .map(|(t, n)| (*n).min(b.get(t).copied().unwrap_or(0)))
        .sum();
    2.0 * common as f64 / (la + lb) as f64
}

/// The tokens of `a` not matched in `b` (multisets, by key), in `a`'s order.
fn minus<'a, 'b>(a: &'b [Token<'a>], b: &[Token<'_>]) -> Vec<&'b Token<'a>> {
    let mut left: FxHashMap<&str, usize> = FxHashMap::default();
    for x in b {
        *left.entry(x.key.as_str()).or_default() += 1;
    }
    a.iter()
        .filter(|t| match left.get_mut(t.key.as_str()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .collect()
}

fn kinds_of(token: &str, first: bool) -> Vec<&'static str> {
    let mut k = Vec::new();
    let bare = token.trim_matches(|c: char| matches!(c, '`' | '[' | ']' | '"' | '\'' | '*'));
    if token.contains('`') {
        k.push("code");
    }
    let v = bare.trim_end_matches([',', ';', ':', '.', ')']);
    let dotted = v.matches('.').count() >= 2 || v.ends_with(".x") || v.starts_with(['v', 'V']);
    let version = crate::versions::is_version_segment(v) && dotted;
    if version {
        // `v2`, `27.4.0`, `26.4.x`; a decimal such as `3.5` is a number.
        k.push("version");
    } else if bare.chars().any(|c| c.is_ascii_digit()) {
        k.push("number");
    }
    if bare.starts_with('-')
        && bare
            .trim_start_matches('-')
            .starts_with(|c: char| c.is_alphabetic())
    {
        k.push("flag");
    }
    let inner_caps =
        bare.chars().skip(1).any(char::is_uppercase) && bare.chars().any(char::is_lowercase);
    if !token.contains('`')
        && !version
        && (bare.contains(['_', '(']) || inner_caps || (bare.contains('.') && !bare.ends_with('.')))
        && bare.chars().any(char::is_alphabetic)
    {
        k.push("code");
    }
    if !first && bare.starts_with(|c: char| c.is_uppercase()) {
        k.push("name");
    }
    k
}

/// The kinds of fact a substitution changes; empty when it is not a change of fact.
fn change_kinds(old: &[Token<'_>], new: &[Token<'_>]) -> Vec<&'static str> {
    let removed = minus(old, new);
    let added = minus(new, old);
    let longer = old.len().max(new.len());
    let limit = 6usize.max((0.3 * longer as f64).floor() as usize);
    if added.is_empty() || removed.len() > limit || added.len() > limit {
        return Vec::new();
    }
    if removed.is_empty() {
        // Only additions: a change of fact when what is added names code, a flag or a
        // version (a list of accepted file names or options grew); added words are not.
        let mut k: Vec<&'static str> = added
            .iter()
            .flat_map(|t| kinds_of(t.orig, false))
            .filter(|k| matches!(*k, "code" | "flag" | "version"))
            .collect();
        k.sort_unstable();
        k.dedup();
        return k;
    }
    let mut k: Vec<&'static str> = Vec::new();
    for (side, changed) in [(old, &removed), (new, &added)] {
        for t in changed.iter() {
            let first = side.first().is_some_and(|f| std::ptr::eq(f, *t));
            k.extend(kinds_of(t.orig, first));
        }
    }
    let says_default = |s: &[Token<'_>]| s.iter().any(|t| t.key.starts_with("default"));
    if !k.is_empty() && says_default(old) && says_default(new) {
        k.push("default");
    }
    k.sort_unstable();
    k.dedup();
    k
}

/// The changed statements between `old` and `new`.
pub(crate) fn changed_statements(old: &str, new: &str) -> Vec<(String, String, Vec<&'static str>)> {
    let a = statements(old);
    let b = statements(new);
    let in_b: rustc_hash::FxHashSet<&str> = b.iter().map(String::as_str).collect();
    let in_a: rustc_hash::FxHashSet<&str> = a.iter().map(String::as_str).collect();
    let mut old_only: Vec<&str> = a
        .iter()
        .map(String::as_str)
        .filter(|s| !in_b.contains(s))
        .collect();
    let mut new_only: Vec<&str> = b
        .iter()
        .map(String::as_str)
        .filter(|s| !in_a.contains(s))
        .collect();
    old_only.dedup();
    new_only.dedup();
    if old_only.is_empty() || new_only.is_empty() {
        return Vec::new();
    }
    let la: Vec<String> = old_only.iter().map(|s| without_link_targets(s)).collect();
    let lb: Vec<String> = new_only.iter().map(|s| without_link_targets(s)).collect();
    let ta: Vec<Vec<Token<'_>>> = la.iter().map(|s| tokens(s)).collect();
    let tb: Vec<Vec<Token<'_>>> = lb.iter().map(|s| tokens(s)).collect();
    let ca: Vec<FxHashMap<&str, usize>> = ta.iter().map(|t| counts(t)).collect();
    let cb: Vec<FxHashMap<&str, usize>> = tb.iter().map(|t| counts(t)).collect();
    let sims: Vec<Vec<f64>> = ca
        .iter()
        .zip(&ta)
        .map(|(x, tx)| {
            cb.iter()
                .zip(&tb)
                .map(|(y, ty)| similarity(x, tx.len(), y, ty.len()))
                .collect()
        })
        .collect();
    // The unique best of each row and each column.
    let unique_best = |vals: &mut dyn Iterator<Item = (usize, f64)>| -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        let mut tie = false;
        for (i, v) in vals {
            match best {
                Some((_, b)) if v > b => {
                    best = Some((i, v));
                    tie = false;
                }
                Some((_, b)) if v == b => tie = true,
                None => best = Some((i, v)),
                _ => {}
            }
        }
        best.filter(|(_, v)| *v >= CHANGE_MIN_SIMILARITY && !tie)
            .map(|(i, _)| i)
    };
    let mut out = Vec::new();
    for (i, row) in sims.iter().enumerate() {
        let Some(j) = unique_best(&mut row.iter().copied().enumerate()) else {
            continue;
        };
        if unique_best(&mut sims.iter().map(|r| r[j]).enumerate()) != Some(i) {
            continue;
        }
        let kinds = change_kinds(&ta[i], &tb[j]);
        if !kinds.is_empty() {
            out.push((old_only[i].to_string(), new_only[j].to_string(), kinds));
        }
    }
    out
}

/// The changed statements of every superseded document against its current version (`current`
/// per document), one entry per distinct (old, new) statement pair, kept at the newest old
/// document holding it; sorted by old document, then statement.
pub(crate) fn all_changes(
    docs: &[Document],
    texts: &dyn crate::Texts,
    current: &[Option<usize>],
    near_empty: &[bool],
) -> Vec<StatementChange> {
    use rayon::prelude::*;
    let found: Vec<(usize, usize, String, String, Vec<&'static str>)> = (0..docs.len())
        .into_par_iter()
        .filter_map(|i| {
            current[i]
                .filter(|&c| c != i && !near_empty[i] && !near_empty[c])
                .map(|c| (i, c))
        })
        .flat_map_iter(|(i, c)| {
            changed_statements(&texts.text(i), &texts.text(c))
                .into_iter()
                .map(move |(o, n, k)| (i, c, o, n, k))
        })
        .collect();
    let mut by_pair: FxHashMap<(&str, &str), Vec<usize>> = FxHashMap::default();
    for (k, f) in found.iter().enumerate() {
        by_pair
            .entry((f.2.as_str(), f.3.as_str()))
            .or_default()
            .push(k);
    }
    let mut out: Vec<StatementChange> = by_pair
        .into_values()
        .map(|mut ks| {
            // Newest old document first (date, then id).
            ks.sort_by(|&a, &b| {
                let (da, db) = (&docs[found[a].0], &docs[found[b].0]);
                db.updated_at
                    .cmp(&da.updated_at)
                    .then_with(|| da.id.cmp(&db.id))
            });
            let f = &found[ks[0]];
            let mut also_in: Vec<String> = ks[1..]
                .iter()
                .map(|&k| docs[found[k].0].id.clone())
                .collect();
            also_in.sort();
            also_in.dedup();
            StatementChange {
                old_doc: docs[f.0].id.clone(),
                new_doc: docs[f.1].id.clone(),
                old_statement: f.2.clone(),
                new_statement: f.3.clone(),
                kinds: f.4.clone(),
                also_in,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.old_doc, &a.old_statement, &a.new_statement).cmp(&(
            &b.old_doc,
            &b.old_statement,
            &b.new_statement,
        ))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        Document {
            id: "x".into(),
            text: text.into(),
            ..Document::default()
        }
    }

    #[test]
    fn statements_skip_code_split_sentences_tables_and_headings() {
        let t = "# Setup\n\nInstall it with `npm i`. Then run\nthe tests.\n\n```js\nconst a = 1. b;\n```\n\n| Option | Default |\n|---|---|\n| `timeout` | 5000 |\n- first item\n- second item\n";
        assert_eq!(
            statements(t),
            [
                "# Setup",
                "Install it with `npm i`.",
                "Then run the tests.",
                "Option",
                "Default",
                "`timeout`",
                "5000",
                "- first item",
                "- second item"
            ]
        );
    }

    #[test]
    fn a_changed_default_name_or_number_is_found_and_rewording_is_not() {
        let old = doc("The default environment in Jest is a browser-like environment through jsdom. Requests time out after 30 seconds. You can retrieve the default options to expand them if needed.");
        let new = doc("The default environment in Jest is a Node.js environment. Requests time out after 60 seconds. You can retrieve the defaults to extend them when needed.");
        let c = changed_statements(&old.text, &new.text);
        let pairs: Vec<(&str, &str)> = c.iter().map(|x| (x.0.as_str(), x.1.as_str())).collect();
        assert_eq!(
            pairs,
            [
                (
                    "The default environment in Jest is a browser-like environment through jsdom.",
                    "The default environment in Jest is a Node.js environment."
                ),
                (
                    "Requests time out after 30 seconds.",
                    "Requests time out after 60 seconds."
                ),
            ]
        );
        assert!(c[0].2.contains(&"default"), "{:?}", c[0].2);
        assert_eq!(c[1].2, ["number"]);
    }

    #[test]
    fn kinds_of_changed_tokens() {
        assert_eq!(kinds_of("3.5%", false), ["number"]);
        assert_eq!(kinds_of("`27.4.0`", false), ["code", "version"]);
        assert_eq!(kinds_of("v29.2", false), ["version"]);
        assert_eq!(kinds_of("--watchAll", false), ["flag", "code"]);
        assert_eq!(kinds_of("Node.js", false), ["code", "name"]);
        assert_eq!(kinds_of("Browser", true), Vec::<&str>::new());
        assert_eq!(kinds_of("browser", false), Vec::<&str>::new());
    }

    #[test]
    fn an_ambiguous_alignment_is_not_evidence() {
        let old = doc("### `extraGlobals` [array]");
        let new = doc("### `sandboxGlobals` [array]\n\n### `shardIndex` [array]");
        assert!(changed_statements(&old.text, &new.text).is_empty());
        let new = doc("### `sandboxGlobals` [array]");
        let c = changed_statements(&old.text, &new.text);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].2, ["code"]);
    }

    #[test]
    fn additions_and_identical_texts_are_not_changes() {
        let old = doc("Both options may return a promise.");
        assert!(changed_statements(&old.text, &old.text).is_empty());
        let new = doc("Both options may optionally return a promise.");
        assert!(
            changed_statements(&old.text, &new.text).is_empty(),
            "addition only"
        );
        // A list of accepted names that grew is a change.
        let old = doc("A preset should point to a module with a `preset.json` or `preset.js` file at the root.");
        let new = doc("A preset should point to a module with a `preset.json`, `preset.js` or `preset.cjs` file at the root.");
        let c = changed_statements(&old.text, &new.text);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].2, ["code"]);
    }
}
