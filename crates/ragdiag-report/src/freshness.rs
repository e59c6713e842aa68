//! `report.md` of `ragdiag freshness`, from its typed summary and the audit.

use ragdiag_contract::freshness::FreshnessSummary;
use ragdiag_core::{md_code, md_escape, pct};
use ragdiag_fresh::Audit;
use std::fmt::Write as _;

/// How many rows each list of report.md shows; the rest are counted and left to
/// `documents.parquet` and `summary.json`, so the report of a million-document corpus stays small.
pub(crate) const LISTED: usize = 50;

/// The line after a list cut at [`LISTED`]: how many more rows, and where all of them are.
fn more(md: &mut String, total: usize, all_in: &str) {
    if total > LISTED {
        let _ = writeln!(
            md,
            "\n… and {} more (the first {LISTED} are listed; all {total} are in {all_in}).",
            total - LISTED
        );
    }
}

/// The freshness audit as Markdown: the headline, ages, stale documents with their reasons,
/// undated documents, the stale share by group, chains, near-duplicates, conflicts, updates of
/// a changing figure (when there are any), labels, staleness in retrieval and the data findings.
/// Changed statements and hygiene come after the near-duplicates. Long lists show their first
/// [`LISTED`] rows.
#[must_use]
pub fn render_freshness_markdown(summary: &FreshnessSummary, report: &Audit) -> String {
    let c = &summary.corpus;
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Freshness audit\n\n{}\n",
        ragdiag_fresh::headline(summary)
    );
    let _ = writeln!(md, "## Age\n\n| age | documents |\n|---|---|");
    for b in &c.age_histogram {
        let _ = writeln!(md, "| {} | {} |", b.bucket, b.documents);
    }
    let _ = writeln!(
        md,
        "\n## Stale documents\n\n| document | reason | replaced by |\n|---|---|---|"
    );
    let stale = report.documents.iter().filter(|d| d.stale == Some(true));
    let stale_total = stale.clone().count();
    for d in stale.take(LISTED) {
        let reason = match d.stale_reason() {
            Some(ragdiag_fresh::StaleReason::SupersededInferred) => match d.inferred_from {
                Some(ragdiag_fresh::Inference::SamePage) => {
                    "superseded (inferred: same page in a newer version)".to_string()
                }
                _ => "superseded (inferred: older near-duplicate)".to_string(),
            },
            Some(r) => r.as_str().to_string(),
            None => String::new(),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            md_escape(&d.id),
            reason,
            d.superseded_by
                .as_deref()
                .map(md_escape)
                .unwrap_or_default()
        );
    }
    more(&mut md, stale_total, "`documents.parquet`");
    let undated: Vec<&str> = report
        .documents
        .iter()
        .filter(|d| d.stale.is_none())
        .map(|d| d.id.as_str())
        .collect();
    let _ = writeln!(
        md,
        "\n## Undated (freshness unknown)\n\n{}",
        if undated.is_empty() {
            "None.".to_string()
        } else {
            undated
                .iter()
                .take(LISTED)
                .map(|d| format!("- {}", md_escape(d)))
                .collect::<Vec<_>>()
                .join("\n")
        }
    );
    more(&mut md, undated.len(), "`documents.parquet`");
    let _ = writeln!(
        md,
        "\n## Stale share by group\n\n| group | documents | stale | share |\n|---|---|---|---|"
    );
    for g in &c.stale_share_by_group {
        let _ = writeln!(
            md,
            "| {} {} | {} | {} | {} |",
            g.kind,
            md_code(&g.name),
            g.documents,
            g.stale,
            pct(g.stale_share, 1)
        );
    }
    let _ = writeln!(md, "\n## Supersession chains\n");
    for ch in report.chains.iter().take(LISTED) {
        let _ = writeln!(
            md,
            "- {}",
            ch.iter()
                .map(|s| md_escape(s))
                .collect::<Vec<_>>()
                .join(" → ")
        );
    }
    more(&mut md, report.chains.len(), "`summary.json`");
    let _ = writeln!(
        md,
        "\n## Near-duplicates\n\n| older | newer | Jaccard |\n|---|---|---|"
    );
    for n in report.near_duplicates.iter().take(LISTED) {
        let _ = writeln!(
            md,
            "| {} | {} | {:.3} |",
            md_escape(&n.older),
            md_escape(&n.newer),
            n.jaccard
        );
    }
    more(&mut md, report.near_duplicates.len(), "`summary.json`");
    render_changes(&mut md, summary);
    render_hygiene(&mut md, summary);
    let _ = writeln!(md, "\n## Conflicts between current documents\n");
    for x in report.conflicts.iter().take(LISTED) {
        let _ = writeln!(
            md,
            "- **{}** vs **{}**\n  - {}: “{}”\n  - {}: “{}”",
            md_escape(&x.doc_a),
            md_escape(&x.doc_b),
            md_escape(&x.doc_a),
            md_escape(&x.sentence_a),
            md_escape(&x.doc_b),
            md_escape(&x.sentence_b)
        );
    }
    more(&mut md, report.conflicts.len(), "`summary.json`");
    if !report.updates.is_empty() {
        let _ = writeln!(
            md,
            "\n## Updates of a changing figure (the newer wins; not conflicts)\n"
        );
        for u in report.updates.iter().take(LISTED) {
            let _ = writeln!(
                md,
                "- **{}** (older) → **{}** (newer)\n  - {}: “{}”\n  - {}: “{}”",
                md_escape(&u.older),
                md_escape(&u.newer),
                md_escape(&u.older),
                md_escape(&u.sentence_older),
                md_escape(&u.newer),
                md_escape(&u.sentence_newer)
            );
        }
        more(&mut md, report.updates.len(), "`summary.json`");
    }
    if let Some(l) = &summary.labels {
        let _ = writeln!(md, "\n## Labels\n");
        for s in l.answerable_with_stale_gold.iter().take(LISTED) {
            let _ = writeln!(
                md,
                "- question {}: gold {} is stale ({})",
                md_code(&s.query),
                md_code(&s.doc),
                s.stale_reason.as_deref().unwrap_or("")
            );
        }
        more(
            &mut md,
            l.answerable_with_stale_gold.len(),
            "`summary.json`",
        );
        for s in l.labels_dated_before_gold_update.iter().take(LISTED) {
            let _ = writeln!(
                md,
                "- question {}: labelled {} but {} was updated {}",
                md_code(&s.query),
                s.asked_at,
                md_code(&s.doc),
                s.updated_at
            );
        }
        more(
            &mut md,
            l.labels_dated_before_gold_update.len(),
            "`summary.json`",
        );
    }
    if let Some(r) = &summary.retrieval {
        let _ = writeln!(md, "\n## In retrieval (top {})\n", r.k);
        let _ = writeln!(
            md,
            "- superseded documents ranked above their current version: {}",
            r.superseded_ranked_above_current
        );
        let _ = writeln!(
            md,
            "- ghost citations (hits on deleted or unknown documents): {}",
            r.ghost_citations
        );
        let never = r.never_retrieved_live_documents.len();
        let _ = writeln!(md, "- live documents no question retrieves: {never}");
    }
    if !summary.findings.is_empty() {
        let _ = writeln!(md, "\n## Data findings\n");
        for f in &summary.findings {
            let _ = writeln!(md, "- {}", md_escape(f));
        }
    }
    md
}

/// Statements that changed between superseded documents and their current versions.
fn render_changes(md: &mut String, summary: &FreshnessSummary) {
    let changes = &summary.corpus.changed_statements;
    if changes.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "\n## Changed statements (superseded → current)\n\n{} statements whose numbers, versions, flags, code names, names or defaults changed.\n",
        changes.len()
    );
    for c in changes.iter().take(LISTED) {
        let also = if c.also_in.is_empty() {
            String::new()
        } else {
            format!(" (also in {})", c.also_in.len())
        };
        let _ = writeln!(
            md,
            "- {} → {} ({}){}\n  - old: “{}”\n  - new: “{}”",
            md_escape(&c.old_doc),
            md_escape(&c.new_doc),
            c.kinds.join(", "),
            also,
            md_escape(&c.old_statement),
            md_escape(&c.new_statement)
        );
    }
    more(md, changes.len(), "`summary.json`");
}

/// Hygiene findings: near-empty documents, exact duplicates, boilerplate.
fn render_hygiene(md: &mut String, summary: &FreshnessSummary) {
    let h = &summary.corpus.hygiene;
    let _ = writeln!(
        md,
        "\n## Hygiene (not staleness)\n\nNear-empty: fewer than {} words of the document's own (not boilerplate). Boilerplate: a word 3-shingle held by at least {} of {} units (exact copies and versions of one page count once); passages of at least {} words. Boilerplate is left out of near-duplicate inference; near-empty documents take no part in it, and identical texts (same version or none) are duplicates, never superseded.\n",
        h.near_empty_words,
        h.boilerplate_cut,
        h.units,
        ragdiag_fresh::BOILERPLATE_MIN_RUN_WORDS
    );
    let _ = writeln!(md, "### Empty or near-empty ({})\n", h.near_empty.len());
    if h.near_empty.is_empty() {
        let _ = writeln!(md, "None.");
    } else {
        let _ = writeln!(
            md,
            "| document | finding | words | own words |\n|---|---|---|---|"
        );
        for e in h.near_empty.iter().take(LISTED) {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                md_escape(&e.id),
                e.kind,
                e.words,
                e.own_words
            );
        }
        if h.near_empty.len() > LISTED {
            let _ = writeln!(
                md,
                "\n… and {} more (`documents.parquet`, column `hygiene`).",
                h.near_empty.len() - LISTED
            );
        }
    }
    let _ = writeln!(
        md,
        "\n### Exact duplicates ({} groups)\n",
        h.duplicate_groups.len()
    );
    if h.duplicate_groups.is_empty() {
        let _ = writeln!(md, "None.");
    }
    for g in h.duplicate_groups.iter().take(LISTED) {
        let shown: Vec<String> = g.iter().take(10).map(|s| md_escape(s)).collect();
        let more = if g.len() > 10 {
            format!(", … ({} in all)", g.len())
        } else {
            String::new()
        };
        let _ = writeln!(md, "- {}{}", shown.join(", "), more);
    }
    if h.duplicate_groups.len() > LISTED {
        let _ = writeln!(
            md,
            "- … and {} more groups (`documents.parquet`, column `duplicate_of`).",
            h.duplicate_groups.len() - LISTED
        );
    }
    let _ = writeln!(
        md,
        "\n### Boilerplate passages ({})\n",
        h.boilerplate_passages_total
    );
    if h.boilerplate.is_empty() {
        let _ = writeln!(md, "None.");
    } else {
        let _ = writeln!(md, "| documents | example | passage |\n|---|---|---|");
        for b in &h.boilerplate {
            let text: String = b.text.chars().take(300).collect();
            let cut = if b.text.chars().count() > 300 {
                "…"
            } else {
                ""
            };
            let _ = writeln!(
                md,
                "| {} | {} | {}{} |",
                b.documents,
                md_escape(&b.example),
                md_escape(&text.split_whitespace().collect::<Vec<_>>().join(" ")),
                cut
            );
        }
    }
}
