//! The labelling page of `ragdiag pool`: one self-contained HTML file (inline CSS and script,
//! no request of any kind) on which a person grades each pooled (question, document) pair, and
//! the pool as CSV for spreadsheet users.
//!
//! The page shows one pair at a time: the question, the document's text with the evidence
//! candidates marked, grade buttons (keys `0`–`3`), a note, and the progress. Labels are kept
//! in the browser's local storage under the pool's id, so closing the page loses nothing, and
//! one click exports them as JSONL or CSV, the files `ragdiag labels import` reads.
//!
//! Every string from the input reaches the page only as JSON inside a
//! `<script type="application/json">` block (with `<`, `>` and `&` written as `\u003c`,
//! `\u003e`, `\u0026`, so no text can close the block) and is put on the page by the script
//! with `textContent`, never as markup.

use crate::escape;
use ragdiag_eval::golden::{PoolItem, Segment};
use serde::Serialize;
use std::fmt::Write as _;

/// The grades the page offers, with their meaning (the labels of the buttons).
pub const GRADES: [(i64, &str); 4] = [
    (0, "not relevant"),
    (1, "on topic, does not answer"),
    (2, "answers in part"),
    (3, "answers it"),
];

/// One pair to label, with what the page shows of it.
#[derive(Debug, Clone)]
pub struct LabelTask<'a> {
    /// The pooled pair.
    pub item: &'a PoolItem,
    /// The question's text.
    pub question: &'a str,
    /// The document's title.
    pub title: Option<&'a str>,
    /// The content hash of the document text shown (exported with each label).
    pub doc_hash: Option<&'a str>,
    /// The document's text cut into pieces, evidence candidates marked; empty when the
    /// document is not in the corpus.
    pub segments: Vec<Segment>,
}

#[derive(Serialize)]
struct PageItem<'a> {
    query_id: &'a str,
    doc: &'a str,
    question: &'a str,
    title: Option<&'a str>,
    doc_hash: Option<&'a str>,
    ranks: Vec<(&'a str, usize)>,
    priority: f64,
    segments: Vec<(&'a str, bool)>,
}

#[derive(Serialize)]
struct PageData<'a> {
    pool_id: &'a str,
    grades: Vec<(i64, &'a str)>,
    items: Vec<PageItem<'a>>,
}

/// JSON safe inside a `<script>` element: `<`, `>` and `&` (which only occur inside strings)
/// as `\u` escapes.
fn script_json(value: &impl Serialize) -> String {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The labelling page of `tasks` (in the order given), stored in the browser under `pool_id`.
#[must_use]
pub fn render_labelling_page(pool_id: &str, title: &str, tasks: &[LabelTask<'_>]) -> String {
    let data = PageData {
        pool_id,
        grades: GRADES.to_vec(),
        items: tasks
            .iter()
            .map(|t| PageItem {
                query_id: &t.item.query_id,
                doc: &t.item.doc,
                question: t.question,
                title: t.title,
                doc_hash: t.doc_hash,
                ranks: t.item.ranks.iter().map(|(s, r)| (s.as_str(), *r)).collect(),
                priority: t.item.priority,
                segments: t
                    .segments
                    .iter()
                    .map(|s| (s.text.as_str(), s.candidate))
                    .collect(),
            })
            .collect(),
    };
    let mut buttons = String::new();
    for (g, name) in GRADES {
        buttons.push_str(&format!(
            "<button type=\"button\" class=\"grade\" data-grade=\"{g}\" title=\"key {g}\"><b>{g}</b> {}</button>",
            escape::text(name)
        ));
    }
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{title}</title>\n<style>\n{css}</style>\n</head>\n<body>\n\
<header>\n<h1>{title}</h1>\n<span id=\"progress\" aria-live=\"polite\"></span>\n\
<label>Labeller <input id=\"labeller\" autocomplete=\"off\" placeholder=\"your name\"></label>\n\
<button type=\"button\" id=\"export-jsonl\">Export JSONL</button>\n\
<button type=\"button\" id=\"export-csv\">Export CSV</button>\n\
<span id=\"status\" role=\"status\"></span>\n</header>\n<main>\n\
<nav><button type=\"button\" id=\"prev\" title=\"key ← or k\">← Previous</button>\n\
<span id=\"position\"></span>\n\
<button type=\"button\" id=\"next\" title=\"key → or j\">Next →</button>\n\
<button type=\"button\" id=\"next-unlabelled\" title=\"key u\">Next unlabelled</button></nav>\n\
<section id=\"item\">\n<p class=\"meta\">question <code id=\"qid\"></code> · document <code id=\"doc\"></code> \
<span id=\"doc-title\"></span> · <span id=\"ranks\"></span></p>\n\
<h2 id=\"question\"></h2>\n<div id=\"passage\"></div>\n</section>\n\
<div id=\"grades\">{buttons}</div>\n<p id=\"current\"></p>\n\
<label for=\"note\">Note (key n; Esc leaves it)</label>\n<textarea id=\"note\" rows=\"2\"></textarea>\n\
<p class=\"help\">Keys: <kbd>0</kbd>–<kbd>3</kbd> grade and go to the next unlabelled pair · \
<kbd>←</kbd>/<kbd>k</kbd> previous · <kbd>→</kbd>/<kbd>j</kbd> next · <kbd>u</kbd> next unlabelled · \
<kbd>n</kbd> note. Marked sentences share the question's words: evidence candidates, not verdicts. \
Labels stay in this browser until exported.</p>\n\
</main>\n<script type=\"application/json\" id=\"pool-data\">{data}</script>\n<script>\n{js}</script>\n</body>\n</html>\n",
        title = escape::text(title),
        css = CSS,
        data = script_json(&data),
        js = JS,
    )
}

/// A CSV cell: quoted when it holds a comma, quote or line break; a text cell starting with
/// `=`, `+`, `-` or `@` gets a leading `'` so a spreadsheet does not run it as a formula.
fn cell(s: &str, text: bool) -> String {
    let guarded = if text && s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// Golden-set candidates from traffic as CSV (`pool` without `--queries`), heaviest first:
/// rank, the question, how often it was asked, its summed weight, and the distinct wordings
/// merged into it (normalised, ` | ` between them).
#[must_use]
pub fn traffic_csv(candidates: &[ragdiag_diagnose::golden::TrafficCandidate]) -> String {
    let mut out = String::from("rank,question,count,weight,variants\n");
    for (i, c) in candidates.iter().enumerate() {
        let _ = writeln!(
            out,
            "{},{},{},{},{}",
            i + 1,
            cell(&c.text, true),
            c.count,
            c.weight,
            cell(&c.variants.join(" | "), true)
        );
    }
    out
}

/// The pool as CSV, one row per pair in priority order, with empty `grade`, `labeller` and
/// `note` columns to fill in (`ragdiag labels import` reads the filled file).
#[must_use]
pub fn pool_csv(tasks: &[LabelTask<'_>]) -> String {
    let mut out = String::from(
        "query_id,doc,priority,best_rank,systems,doc_hash,question,title,passage,grade,labeller,note\n",
    );
    for t in tasks {
        let systems: Vec<String> = t
            .item
            .ranks
            .iter()
            .map(|(s, r)| format!("{s}@{r}"))
            .collect();
        let passage: String = t.segments.iter().map(|s| s.text.as_str()).collect();
        let row = [
            cell(&t.item.query_id, false),
            cell(&t.item.doc, false),
            format!("{:.4}", t.item.priority),
            t.item.best_rank.to_string(),
            cell(&systems.join(" "), true),
            cell(t.doc_hash.unwrap_or(""), false),
            cell(t.question, true),
            cell(t.title.unwrap_or(""), true),
            cell(&passage, true),
            String::new(),
            String::new(),
            String::new(),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

const CSS: &str = r"body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;padding:.5rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header h1{font-size:1.1rem;margin:0}
main{max-width:60rem;margin:1rem auto;padding:0 1rem}
nav{display:flex;gap:.5rem;align-items:center;margin-bottom:.5rem}
#item{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.75rem 1rem}
.meta{color:#555;font-size:.85rem;margin:0}
#question{font-size:1.2rem;margin:.4rem 0 .6rem}
#passage{white-space:pre-wrap;max-height:28rem;overflow:auto;border-top:1px solid #eee;padding-top:.5rem}
mark{background:#fff3a3;padding:0 .1rem}
#grades{display:flex;gap:.5rem;margin:.75rem 0;flex-wrap:wrap}
.grade{padding:.4rem .7rem;border:1px solid #999;border-radius:4px;background:#fff;cursor:pointer}
.grade.chosen{background:#1f6feb;color:#fff;border-color:#1f6feb}
textarea{width:100%;box-sizing:border-box}
.help{color:#555;font-size:.85rem}
kbd{border:1px solid #bbb;border-radius:3px;padding:0 .25rem;font-size:.8rem;background:#fff}
#status{color:#a40000}
";

const JS: &str = r#"(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("pool-data").textContent);
  var items = data.items;
  var key = "ragdiag-labels:" + data.pool_id;
  var $ = function (id) { return document.getElementById(id); };
  var state = load();
  var pos = 0;

  function load() {
    try {
      var s = JSON.parse(localStorage.getItem(key) || "null");
      if (s && typeof s === "object" && s.labels && typeof s.labels === "object") {
        if (typeof s.labeller !== "string") { s.labeller = ""; }
        return s;
      }
    } catch (e) { /* unreadable storage: start afresh */ }
    return { labeller: "", labels: {} };
  }
  function save() {
    try { localStorage.setItem(key, JSON.stringify(state)); }
    catch (e) { say("not saved in this browser: " + e.message); }
  }
  function say(text) { $("status").textContent = text; }
  function pairKey(i) { return JSON.stringify([items[i].query_id, items[i].doc]); }
  function entry(i) { return state.labels[pairKey(i)]; }
  function graded(i) { var e = entry(i); return !!e && typeof e.grade === "number"; }
  function nextUnlabelled(from) {
    for (var k = 0; k < items.length; k++) {
      var i = (from + k) % items.length;
      if (!graded(i)) { return i; }
    }
    return -1;
  }
  function progress() {
    var n = 0;
    for (var i = 0; i < items.length; i++) { if (graded(i)) { n++; } }
    $("progress").textContent = n + " of " + items.length + " labelled";
    return n;
  }
  function render() {
    progress();
    if (items.length === 0) {
      $("question").textContent = "Nothing to label: every pooled document is judged.";
      return;
    }
    var it = items[pos];
    $("position").textContent = "pair " + (pos + 1) + " of " + items.length;
    $("qid").textContent = it.query_id;
    $("doc").textContent = it.doc;
    $("doc-title").textContent = it.title ? "(" + it.title + ")" : "";
    $("ranks").textContent = "ranked " + it.ranks.map(function (r) { return r[1] + " by " + r[0]; }).join(", ");
    $("question").textContent = it.question;
    var p = $("passage");
    while (p.firstChild) { p.removeChild(p.firstChild); }
    if (it.segments.length === 0) {
      var em = document.createElement("em");
      em.textContent = "This document is not in the corpus given to ragdiag pool.";
      p.appendChild(em);
    }
    var first = null;
    it.segments.forEach(function (s) {
      var el = document.createElement(s[1] ? "mark" : "span");
      el.textContent = s[0];
      if (s[1] && !first) { first = el; }
      p.appendChild(el);
    });
    p.scrollTop = 0;
    if (first) { p.scrollTop = Math.max(0, first.offsetTop - p.offsetTop - 40); }
    var e = entry(pos) || {};
    Array.prototype.forEach.call(document.querySelectorAll(".grade"), function (b) {
      b.classList.toggle("chosen", graded(pos) && Number(b.dataset.grade) === e.grade);
    });
    $("current").textContent = graded(pos) ? "graded " + e.grade + " by " + (e.labeller || state.labeller || "?") : "not graded yet";
    $("note").value = e.note || "";
  }
  function grade(g) {
    if (items.length === 0) { return; }
    var e = entry(pos) || {};
    e.grade = g;
    e.labeller = state.labeller;
    e.labelled_at = new Date().toISOString();
    state.labels[pairKey(pos)] = e;
    save();
    var next = nextUnlabelled(pos + 1);
    if (next >= 0) { pos = next; } else { say("every pair is labelled: export the labels"); }
    render();
  }
  function move(d) {
    if (items.length === 0) { return; }
    pos = (pos + d + items.length) % items.length;
    render();
  }
  function rows() {
    var out = [];
    for (var i = 0; i < items.length; i++) {
      if (!graded(i)) { continue; }
      var e = entry(i);
      out.push({
        query_id: items[i].query_id,
        doc: items[i].doc,
        grade: e.grade,
        labeller: e.labeller || state.labeller,
        labelled_at: e.labelled_at,
        doc_hash: items[i].doc_hash,
        note: e.note || ""
      });
    }
    return out;
  }
  function csvCell(v) {
    var s = v === null || v === undefined ? "" : String(v);
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function download(name, type, text) {
    var url = URL.createObjectURL(new Blob([text], { type: type }));
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }
  function exportAs(kind) {
    if (!state.labeller) { say("enter your name as labeller before exporting"); $("labeller").focus(); return; }
    var r = rows();
    if (r.length === 0) { say("nothing labelled yet"); return; }
    var unnamed = r.some(function (x) { return !x.labeller; });
    r.forEach(function (x) { if (!x.labeller) { x.labeller = state.labeller; } });
    var base = "labels-" + data.pool_id + "-" + state.labeller.replace(/[^A-Za-z0-9_-]+/g, "_");
    if (kind === "jsonl") {
      download(base + ".jsonl", "application/x-ndjson", r.map(function (x) { return JSON.stringify(x); }).join("\n") + "\n");
    } else {
      var cols = ["query_id", "doc", "grade", "labeller", "labelled_at", "doc_hash", "note"];
      var lines = [cols.join(",")].concat(r.map(function (x) { return cols.map(function (c) { return csvCell(x[c]); }).join(","); }));
      download(base + ".csv", "text/csv", lines.join("\r\n") + "\r\n");
    }
    say("exported " + r.length + " labels" + (unnamed ? " (labels made before a name was entered are exported as " + state.labeller + ")" : ""));
  }

  $("labeller").value = state.labeller;
  $("labeller").addEventListener("input", function (ev) { state.labeller = ev.target.value.trim(); save(); });
  $("note").addEventListener("input", function (ev) {
    if (items.length === 0) { return; }
    var e = entry(pos) || {};
    e.note = ev.target.value;
    state.labels[pairKey(pos)] = e;
    save();
  });
  Array.prototype.forEach.call(document.querySelectorAll(".grade"), function (b) {
    b.addEventListener("click", function () { grade(Number(b.dataset.grade)); });
  });
  $("prev").addEventListener("click", function () { move(-1); });
  $("next").addEventListener("click", function () { move(1); });
  $("next-unlabelled").addEventListener("click", function () {
    var n = nextUnlabelled(pos + 1);
    if (n >= 0) { pos = n; render(); } else { say("every pair is labelled"); }
  });
  $("export-jsonl").addEventListener("click", function () { exportAs("jsonl"); });
  $("export-csv").addEventListener("click", function () { exportAs("csv"); });
  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    if (t && (t.tagName === "TEXTAREA" || t.tagName === "INPUT")) {
      if (ev.key === "Escape") { t.blur(); }
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var grades = data.grades.map(function (g) { return String(g[0]); });
    if (grades.indexOf(ev.key) >= 0) { grade(Number(ev.key)); ev.preventDefault(); }
    else if (ev.key === "ArrowRight" || ev.key === "j") { move(1); ev.preventDefault(); }
    else if (ev.key === "ArrowLeft" || ev.key === "k") { move(-1); ev.preventDefault(); }
    else if (ev.key === "u") { $("next-unlabelled").click(); ev.preventDefault(); }
    else if (ev.key === "n") { $("note").focus(); ev.preventDefault(); }
  });
  var start = nextUnlabelled(0);
  pos = start >= 0 ? start : 0;
  render();
}());
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> PoolItem {
        PoolItem {
            query_id: "q1".into(),
            doc: "d</script><b>".into(),
            ranks: vec![("run-a".into(), 2)],
            best_rank: 2,
            priority: 0.63,
        }
    }

    #[test]
    fn input_text_cannot_escape_the_data_block() {
        let it = item();
        let tasks = [LabelTask {
            item: &it,
            question: "a & b <script>alert(1)</script>",
            title: Some("T"),
            doc_hash: Some("sha256:00"),
            segments: vec![Segment {
                text: "</script><img src=x>".into(),
                candidate: true,
            }],
        }];
        let page = render_labelling_page("p1", "Label <pool>", &tasks);
        // The only </script> tags are the two blocks' own.
        assert_eq!(page.matches("</script>").count(), 2);
        assert!(!page.contains("<img"));
        assert!(page.contains("<title>Label &lt;pool&gt;</title>"));
        // The data block parses back to the input.
        let start = page.find("id=\"pool-data\">").unwrap() + "id=\"pool-data\">".len();
        let end = start + page[start..].find("</script>").unwrap();
        let v: serde_json::Value = serde_json::from_str(&page[start..end]).unwrap();
        assert_eq!(v["items"][0]["doc"], "d</script><b>");
        assert_eq!(v["items"][0]["segments"][0][0], "</script><img src=x>");
        assert_eq!(v["items"][0]["segments"][0][1], true);
        assert_eq!(v["pool_id"], "p1");
        // Nothing is fetched: no src or href attribute in the markup (the script blocks' text
        // aside), a CSP that forbids loading.
        let markup = page[..start].to_owned() + &page[page.rfind("</script>").unwrap()..];
        assert!(!markup.contains(" src="));
        assert!(!markup.contains("href="));
        assert!(page.contains("default-src 'none'"));
    }

    #[test]
    fn csv_quotes_and_guards_formulas() {
        let it = item();
        let tasks = [LabelTask {
            item: &it,
            question: "=HYPERLINK(\"x\")",
            title: None,
            doc_hash: None,
            segments: vec![Segment {
                text: "a, \"b\"\nc".into(),
                candidate: false,
            }],
        }];
        let csv = pool_csv(&tasks);
        let mut lines = csv.lines();
        assert_eq!(
            lines.next().unwrap(),
            "query_id,doc,priority,best_rank,systems,doc_hash,question,title,passage,grade,labeller,note"
        );
        assert_eq!(
            csv.lines().nth(1).unwrap(),
            "q1,d</script><b>,0.6300,2,run-a@2,,\"'=HYPERLINK(\"\"x\"\")\",,\"a, \"\"b\"\""
        );
        assert!(csv.ends_with("c\",,,\n"));
    }
}
