//! Versioned documentation: which version a document belongs to, its version-free page stem,
//! and supersession of a page by its counterpart in a newer version when edits pushed the
//! Jaccard below the near-duplicate cut.
//!
//! **Version.** The `version` field, or else a path segment of the id or URL that reads as a
//! version: `v` and a number (`v2`, `v1.4`), or dotted numbers (`29.6`, `25.x`, `2024.1`). A
//! bare year (`2024`) is not a version: dated paths are not versions.
//!
//! **Stem.** The id (or the URL's path, when it is the one holding the version) with its
//! version segments and file extension removed, lower-cased: `25.x/Architecture` →
//! `architecture`, `docs/v2/guide/install.md` → `docs/guide/install`.
//!
//! **Same page, edited.** A dated document `o` with a version, not otherwise superseded, is
//! superseded by a document `n` when all of these hold: `n` has a different version and a later
//! date; they share the normalised title or the stem; `n` is `o`'s most similar document
//! among the pages of `n`'s version (content Jaccard, boilerplate left out; ties allowed) and
//! that Jaccard is at least `same_page_jaccard`. Among several such `n`, the most similar wins,
//! then the newest. Without version evidence the rule never fires: two dated pages of a news
//! site with one title are a time series, not versions.

use ragdiag_core::{jaccard_sorted, Document, Timestamp};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// A document's version evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct VersionInfo {
    /// The version (field, or a version segment of the id or URL).
    pub(crate) version: Option<String>,
    /// The version-free stem; `None` when there is no version.
    pub(crate) stem: Option<String>,
    /// The title, lower-cased with whitespace collapsed.
    pub(crate) title: Option<String>,
}

/// Whether a path segment reads as a version.
pub(crate) fn is_version_segment(s: &str) -> bool {
    let s = s.trim();
    let body = s
        .strip_prefix('v')
        .or_else(|| s.strip_prefix('V'))
        .filter(|b| b.starts_with(|c: char| c.is_ascii_digit()));
    let (body, needs_dot) = match body {
        Some(b) => (b, false),
        None => (s, true),
    };
    let parts: Vec<&str> = body.split('.').collect();
    if needs_dot && parts.len() < 2 {
        return false;
    }
    !parts[0].is_empty()
        && parts[0].chars().all(|c| c.is_ascii_digit())
        && parts[1..]
            .iter()
            .all(|p| p == &"x" || (!p.is_empty() && p.chars().all(|c| c.is_ascii_digit())))
}

fn strip_extension(seg: &str) -> &str {
    for ext in [".md", ".mdx", ".html", ".htm", ".txt", ".rst", ".adoc"] {
        if let Some(s) = seg.strip_suffix(ext) {
            return s;
        }
    }
    seg
}

/// The path of a URL (after the host), or the id as it is.
fn url_path(url: &str) -> &str {
    match url.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map_or("", |(_, p)| p),
        None => url,
    }
    .split(['?', '#'])
    .next()
    .unwrap_or("")
}

fn stem_of(path: &str, version: &str) -> Option<String> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let holds = segs
        .iter()
        .any(|s| s.eq_ignore_ascii_case(version) || is_version_segment(s));
    if !holds {
        return None;
    }
    let kept: Vec<String> = segs
        .iter()
        .filter(|s| !s.eq_ignore_ascii_case(version) && !is_version_segment(s))
        .map(|s| strip_extension(s).to_lowercase())
        .collect();
    (!kept.is_empty()).then(|| kept.join("/"))
}

/// The version evidence of `doc`.
pub(crate) fn version_info(doc: &Document) -> VersionInfo {
    let title = doc
        .title
        .as_deref()
        .map(|t| {
            t.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        })
        .filter(|t| !t.is_empty());
    let field = doc
        .version
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let from_path = || {
        [Some(doc.id.as_str()), doc.url.as_deref().map(url_path)]
            .into_iter()
            .flatten()
            .flat_map(|p| p.split('/'))
            .find(|s| is_version_segment(s))
            .map(str::to_string)
    };
    let version = field.map(str::to_string).or_else(from_path);
    let stem = version.as_deref().map(|v| {
        stem_of(&doc.id, v)
            .or_else(|| doc.url.as_deref().and_then(|u| stem_of(url_path(u), v)))
            .unwrap_or_else(|| strip_extension(&doc.id).to_lowercase())
    });
    VersionInfo {
        version,
        stem,
        title,
    }
}

/// An inferred same-page supersession: `old` by `new`, with their content Jaccard.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SamePage {
    pub(crate) old: usize,
    pub(crate) new: usize,
    pub(crate) jaccard: f64,
}

/// Same-page supersessions for the documents `open` (dated, versioned, not superseded, not
/// deleted, not near-empty), over `eligible` successors (not deleted, not near-empty).
pub(crate) fn same_page(
    docs: &[Document],
    info: &[VersionInfo],
    content: &[Vec<u64>],
    open: &[usize],
    eligible: &[bool],
    floor: f64,
) -> Vec<SamePage> {
    let date = |i: usize| -> Option<Timestamp> { docs[i].updated_at };
    let mut by_title: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    let mut by_stem: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    let mut by_version: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (i, v) in info.iter().enumerate() {
        let Some(ver) = v.version.as_deref() else {
            continue;
        };
        if !eligible[i] || date(i).is_none() {
            continue;
        }
        by_version.entry(ver).or_default().push(i);
        if let Some(t) = v.title.as_deref() {
            by_title.entry(t).or_default().push(i);
        }
        if let Some(s) = v.stem.as_deref() {
            by_stem.entry(s).or_default().push(i);
        }
    }
    // Candidates: same title or stem, another version, a later date.
    let candidates: Vec<(usize, Vec<usize>)> = open
        .iter()
        .filter_map(|&o| {
            let (ov, od) = (info[o].version.as_deref()?, date(o)?);
            let mut c: Vec<usize> = info[o]
                .title
                .as_deref()
                .and_then(|t| by_title.get(t))
                .into_iter()
                .chain(info[o].stem.as_deref().and_then(|s| by_stem.get(s)))
                .flatten()
                .copied()
                .filter(|&n| {
                    info[n].version.as_deref() != Some(ov) && date(n).is_some_and(|d| d > od)
                })
                .collect();
            c.sort_unstable();
            c.dedup();
            (!c.is_empty()).then_some((o, c))
        })
        .collect();
    if candidates.is_empty() {
        return Vec::new();
    }
    // The best Jaccard of each open document within each candidate version, through postings
    // of the open documents' shingles (one pass over those versions' documents).
    let mut postings: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
    for (slot, (o, _)) in candidates.iter().enumerate() {
        for &x in &content[*o] {
            postings.entry(x).or_default().push(slot as u32);
        }
    }
    let mut versions_needed: Vec<&str> = candidates
        .iter()
        .flat_map(|(_, c)| c.iter().filter_map(|&n| info[n].version.as_deref()))
        .collect();
    versions_needed.sort_unstable();
    versions_needed.dedup();
    let pages: Vec<usize> = versions_needed
        .iter()
        .flat_map(|v| by_version.get(v).into_iter().flatten().copied())
        .collect();
    // (slot, version) → best Jaccard.
    let best: FxHashMap<(u32, &str), f64> = pages
        .par_iter()
        .map(|&m| {
            let mut inter: FxHashMap<u32, usize> = FxHashMap::default();
            for x in &content[m] {
                if let Some(slots) = postings.get(x) {
                    for &s in slots {
                        *inter.entry(s).or_default() += 1;
                    }
                }
            }
            let v = info[m].version.as_deref().unwrap_or("");
            inter
                .into_iter()
                .map(|(s, k)| {
                    let o = candidates[s as usize].0;
                    let j = k as f64 / (content[o].len() + content[m].len() - k) as f64;
                    ((s, v), j)
                })
                .collect::<Vec<_>>()
        })
        .flatten()
        .fold(
            FxHashMap::default,
            |mut acc: FxHashMap<(u32, &str), f64>, (k, j)| {
                let e = acc.entry(k).or_insert(0.0);
                *e = e.max(j);
                acc
            },
        )
        .reduce(FxHashMap::default, |mut a, b| {
            for (k, j) in b {
                let e = a.entry(k).or_insert(0.0);
                *e = e.max(j);
            }
            a
        });
    let mut out = Vec::new();
    for (slot, (o, cands)) in candidates.iter().enumerate() {
        let mut chosen: Option<SamePage> = None;
        for &n in cands {
            let j = jaccard_sorted(&content[*o], &content[n]);
            let v = info[n].version.as_deref().unwrap_or("");
            let top = best.get(&(slot as u32, v)).copied().unwrap_or(0.0);
            if j < floor || j + 1e-12 < top {
                continue;
            }
            let better = match chosen {
                None => true,
                Some(c) => {
                    j > c.jaccard
                        || (j == c.jaccard
                            && (date(n), &docs[c.new].id) > (date(c.new), &docs[n].id))
                }
            };
            if better {
                chosen = Some(SamePage {
                    old: *o,
                    new: n,
                    jaccard: j,
                });
            }
        }
        out.extend(chosen);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_segments() {
        for s in ["v2", "V1.4", "29.6", "25.x", "2024.1", "3.10.2"] {
            assert!(is_version_segment(s), "{s}");
        }
        for s in ["2024", "vat", "v", "guide", "1.", ".5", "x.1", "v2b", ""] {
            assert!(!is_version_segment(s), "{s}");
        }
    }

    #[test]
    fn stems_and_versions() {
        let d = |id: &str, version: Option<&str>, url: Option<&str>| Document {
            id: id.into(),
            version: version.map(Into::into),
            url: url.map(Into::into),
            title: Some("  Getting   Started ".into()),
            ..Document::default()
        };
        let v = version_info(&d("25.x/Architecture", Some("25.x"), None));
        assert_eq!(v.version.as_deref(), Some("25.x"));
        assert_eq!(v.stem.as_deref(), Some("architecture"));
        assert_eq!(v.title.as_deref(), Some("getting started"));
        let v = version_info(&d("docs/v2/guide/install.md", None, None));
        assert_eq!(v.version.as_deref(), Some("v2"));
        assert_eq!(v.stem.as_deref(), Some("docs/guide/install"));
        let v = version_info(&d(
            "page-17",
            None,
            Some("https://x.org/docs/3.1/setup.html?a=1"),
        ));
        assert_eq!(v.version.as_deref(), Some("3.1"));
        assert_eq!(v.stem.as_deref(), Some("docs/setup"));
        // A version field with an id that does not hold it: the id is the stem.
        let v = version_info(&d("pricing-plans-2025", Some("2025.1"), None));
        assert_eq!(v.stem.as_deref(), Some("pricing-plans-2025"));
        // No version: no stem.
        let v = version_info(&d("news/2024/05/rates", None, None));
        assert_eq!((v.version, v.stem), (None, None));
    }
}
