#!/usr/bin/env python3
"""Check a ragdiag report.html against its summary.json, statically and in headless Chromium.

    scripts/check_report_html.py REPORT_HTML SUMMARY_JSON [--screenshot PNG] [--chromium BIN]
                                 [--no-browser]

Checks:
  1. The page refers to nothing outside itself: no <script>, <img>, <link>, <iframe>, ...,
     no src/srcset/action/poster/xlink:href attribute, every href is a "#fragment", no url()
     or @import in CSS, no event-handler attribute.
  2. The section ids exist, once each, in order (summary, fix-first, metrics, classes,
     recall-curve, freshness, tags, generation, reranker, thresholds, review, golden-set,
     questions, provenance, warnings).
  2b. The newer sections show what summary.json holds: with `thresholds`, every swept floor's
     coverage, accuracy and false-answer rate, the current and recommended points, each tag's
     row, and the trade-off chart (an SVG labelled "Score floor ..."); with `review`, the count
     per reason and the first 100 queued questions' weights; with `cost`, the cost per question
     and per correct answer and every latency p50 and p95; with `golden_set`, the label counts,
     every judged@k with its n, the near-duplicate threshold, and the leakage metrics with and
     without the leaked questions (mean and n).
  3. Every element with data-figure="a.b.c" has data-value equal to the number at that path of
     summary.json (keys joined by ".", with "\\." and "\\\\" escaping a dot or backslash in a key).
  4. In Chromium (--dump-dom, with --host-resolver-rules="MAP * ~NOTFOUND" so no name resolves,
     and a net log): checks 2 and 3 again on the DOM the browser built, and that the net log
     records no request for anything but the page itself.
  5. With --screenshot, a 1280x4000 screenshot is written.

Exit 0 when everything holds, 1 with one line per problem otherwise, 2 on usage errors.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

SECTION_IDS = [
    "summary",
    "fix-first",
    "metrics",
    "classes",
    "recall-curve",
    "freshness",
    "tags",
    "generation",
    "reranker",
    "thresholds",
    "review",
    "golden-set",
    "questions",
    "provenance",
    "warnings",
]
FORBIDDEN_TAGS = {
    "script", "img", "link", "iframe", "frame", "object", "embed", "base", "audio", "video",
    "source", "track", "form", "image", "use", "picture", "portal", "applet",
}
FORBIDDEN_ATTRS = {
    "src", "srcset", "action", "formaction", "poster", "xlink:href", "background", "ping",
    "manifest", "codebase", "data",
}


class Page(HTMLParser):
    """Collects ids, figures and external references of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.labels: list[str] = []
        self.figures: list[tuple[str, str | None]] = []
        self.problems: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"external-capable element <{tag}> in the page")
        if tag == "style":
            self._in_style = True
        if tag == "meta":
            d = {k.lower(): (v or "") for k, v in attrs}
            if d.get("http-equiv", "").lower() == "refresh":
                self.problems.append("<meta http-equiv=refresh> in the page")
        figure = value = None
        for key, val in attrs:
            key = key.lower()
            val = val or ""
            if key == "id":
                self.ids.append(val)
            elif key == "aria-label":
                self.labels.append(val)
            elif key == "data-figure":
                figure = val
            elif key == "data-value":
                value = val
            elif key in FORBIDDEN_ATTRS:
                self.problems.append(f"{key}=\"{val[:60]}\" on <{tag}>")
            elif key == "href" and not val.startswith("#"):
                self.problems.append(f"href=\"{val[:60]}\" on <{tag}> leaves the page")
            elif key.startswith("on"):
                self.problems.append(f"event handler {key} on <{tag}>")
            elif key == "style" and ("url(" in val.lower() or "@import" in val.lower()):
                self.problems.append(f"url() or @import in a style attribute of <{tag}>")
        if figure is not None:
            self.figures.append((figure, value))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag.lower() == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            low = data.lower()
            if "url(" in low or "@import" in low:
                self.problems.append("url() or @import in a <style> element")


def split_path(path: str) -> list[str]:
    segs, cur, i = [], [], 0
    while i < len(path):
        c = path[i]
        if c == "\\" and i + 1 < len(path):
            cur.append(path[i + 1])
            i += 2
            continue
        if c == ".":
            segs.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    segs.append("".join(cur))
    return segs


def resolve(summary: object, path: str) -> object:
    node = summary
    for seg in split_path(path):
        if isinstance(node, dict) and seg in node:
            node = node[seg]
        elif isinstance(node, list) and seg.isdigit() and int(seg) < len(node):
            node = node[int(seg)]
        else:
            raise KeyError(path)
    return node


def required_figures(summary: object) -> tuple[list[str], list[str]]:
    """The figure paths and chart labels the newer sections must show for this summary."""
    paths: list[str] = []
    labels: list[str] = []
    t = summary.get("thresholds") if isinstance(summary, dict) else None
    if isinstance(t, dict):
        paths += ["thresholds.n", "thresholds.n_unanswerable"]
        points = [(f"thresholds.sweep.{i}", p) for i, p in enumerate(t.get("sweep") or [])]
        for key in ("current", "recommended"):
            if isinstance(t.get(key), dict):
                points.append((f"thresholds.{key}", t[key]))
        for i, tag in enumerate(t.get("by_tag") or []):
            paths.append(f"thresholds.by_tag.{i}.n")
            points.append((f"thresholds.by_tag.{i}.at_overall", tag.get("at_overall") or {}))
        for base, p in points:
            for fig in ("coverage", "accuracy", "false_answer_rate"):
                if base.endswith("at_overall") and fig == "coverage":
                    continue
                if (p.get(fig) or {}).get("mean") is not None:
                    paths.append(f"{base}.{fig}.mean")
        if sum(1 for p in t.get("sweep") or [] if p.get("floor") is not None) >= 2:
            labels.append("Score floor")
    c = summary.get("cost") if isinstance(summary, dict) else None
    if isinstance(c, dict):
        groups = [("cost.latency_correct", c.get("latency_correct")), ("cost.latency_wrong", c.get("latency_wrong"))]
        groups += [(f"cost.by_class.{i}.latency", k.get("latency")) for i, k in enumerate(c.get("by_class") or [])]
        for base, lat in groups:
            for q in ("p50", "p95"):
                if ((lat or {}).get(q) or {}).get("mean") is not None:
                    paths.append(f"{base}.{q}.mean")
        for key in ("cost_per_question", "cost_per_correct_answer"):
            if (c.get(key) or {}).get("mean") is not None:
                paths.append(f"cost.{key}.mean")
    r = summary.get("review") if isinstance(summary, dict) else None
    if isinstance(r, dict):
        paths += [f"review.reasons.{k}" for k in (r.get("reasons") or {})]
        paths += [f"review.items.{i}.weight" for i in range(min(100, len(r.get("items") or [])))]
    g = summary.get("golden_set") if isinstance(summary, dict) else None
    if isinstance(g, dict):
        paths += ["golden_set.labels", "golden_set.tied", "golden_set.near_duplicate_threshold"]
        for i, c in enumerate(g.get("coverage") or []):
            paths.append(f"golden_set.coverage.{i}.judged.n")
            if (c.get("judged") or {}).get("mean") is not None:
                paths.append(f"golden_set.coverage.{i}.judged.mean")
        leak = g.get("leakage") or {}
        paths += ["golden_set.leakage.threshold", "golden_set.leakage.min_words"]
        for side in ("metrics_all", "metrics_without"):
            for m, iv in (leak.get(side) or {}).items():
                paths.append(f"golden_set.leakage.{side}.{m}.n")
                if iv.get("mean") is not None:
                    paths.append(f"golden_set.leakage.{side}.{m}.mean")
    return paths, labels


def check_page(html: str, summary: object, where: str, static: bool) -> tuple[list[str], int]:
    page = Page()
    page.feed(html)
    page.close()
    problems = [f"{where}: {p}" for p in page.problems] if static else []
    positions = []
    for sid in SECTION_IDS:
        n = page.ids.count(sid)
        if n != 1:
            problems.append(f"{where}: id \"{sid}\" appears {n} times (want 1)")
        else:
            positions.append(page.ids.index(sid))
    if positions != sorted(positions):
        problems.append(f"{where}: section ids out of order: {[page.ids[p] for p in positions]}")
    shown = {path for path, _ in page.figures}
    paths, labels = required_figures(summary)
    for path in paths:
        if path not in shown:
            problems.append(f"{where}: summary.json has {path} but the page does not show it")
    for label in labels:
        if not any(l.startswith(label) for l in page.labels):
            problems.append(f"{where}: no chart labelled \"{label} ...\"")
    for path, raw in page.figures:
        try:
            want = resolve(summary, path)
        except KeyError:
            problems.append(f"{where}: data-figure \"{path}\" is not in summary.json")
            continue
        if isinstance(want, bool) or not isinstance(want, (int, float)):
            problems.append(f"{where}: data-figure \"{path}\" is {json.dumps(want)[:40]} in summary.json, not a number")
            continue
        try:
            got = float(raw) if raw is not None else math.nan
        except ValueError:
            got = math.nan
        if got != float(want):
            problems.append(f"{where}: data-figure \"{path}\" shows data-value {raw!r}, summary.json has {want!r}")
    return problems, len(page.figures)


def find_chromium(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def run_chromium(binary: str, page: Path, args: list[str], tmp: Path) -> subprocess.CompletedProcess:
    cmd = [
        binary,
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={tmp / 'profile'}",
        *args,
        page.resolve().as_uri(),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def netlog_requests(path: Path, page_uri: str) -> list[str] | None:
    """URLs the page asked for, from a Chromium net log; None when the log is unreadable.

    The browser makes requests of its own (component updates, time sync, accounts) even
    headless; those carry the initiator "not an origin". A request the page makes carries the
    page's origin ("null" for a file:// page) and is reported unless it is the page itself.
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    # The browser may exit before closing the log's JSON; close it.
    text = text.rstrip().rstrip(",")
    log = None
    for tail in ("", "]}", "}]}"):
        try:
            log = json.loads(text + tail)
            break
        except json.JSONDecodeError:
            continue
    if not isinstance(log, dict):
        return None
    names = {v: k for k, v in (log.get("constants", {}).get("logEventTypes") or {}).items()}
    urls: set[str] = set()
    for ev in log.get("events", []):
        if names.get(ev.get("type")) != "URL_REQUEST_START_JOB":
            continue
        params = ev.get("params") or {}
        url = params.get("url")
        if not isinstance(url, str) or url == page_uri:
            continue
        if params.get("initiator") == "not an origin":
            continue
        urls.add(url)
    return sorted(urls)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("report_html", type=Path)
    ap.add_argument("summary_json", type=Path)
    ap.add_argument("--screenshot", type=Path, help="write a 1280x4000 PNG screenshot here")
    ap.add_argument("--chromium", help="the Chromium binary (default: found on PATH)")
    ap.add_argument("--no-browser", action="store_true", help="static checks only")
    a = ap.parse_args()
    try:
        html = a.report_html.read_text(encoding="utf-8")
        summary = json.loads(a.summary_json.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        print(f"check_report_html: cannot read input: {e}", file=sys.stderr)
        return 2

    problems, n_static = check_page(html, summary, "report.html", static=True)
    n_dom = None
    if not a.no_browser:
        binary = find_chromium(a.chromium)
        if binary is None:
            problems.append("chromium not found (install it, pass --chromium, or use --no-browser)")
        else:
            with tempfile.TemporaryDirectory() as t:
                tmp = Path(t)
                netlog = tmp / "netlog.json"
                try:
                    dom = run_chromium(binary, a.report_html, ["--dump-dom", f"--log-net-log={netlog}", "--net-log-capture-mode=Everything"], tmp)
                except (OSError, subprocess.TimeoutExpired) as e:
                    problems.append(f"chromium failed to run: {e}")
                    dom = None
                if dom is not None:
                    if dom.returncode != 0 or "<html" not in dom.stdout:
                        problems.append(f"chromium --dump-dom failed (exit {dom.returncode}): {dom.stderr.strip()[-300:]}")
                    else:
                        dom_problems, n_dom = check_page(dom.stdout, summary, "browser DOM", static=False)
                        problems += dom_problems
                        if n_dom != n_static:
                            problems.append(f"browser DOM has {n_dom} figures, the file {n_static}")
                    requests = netlog_requests(netlog, a.report_html.resolve().as_uri())
                    if requests is None:
                        problems.append("chromium wrote no readable net log; cannot tell whether the page made requests")
                    for url in requests or []:
                        problems.append(f"the page requested {url[:120]}")
                if a.screenshot:
                    shot = run_chromium(binary, a.report_html, ["--hide-scrollbars", f"--screenshot={a.screenshot.resolve()}", "--window-size=1280,4000"], tmp)
                    if shot.returncode != 0 or not a.screenshot.exists():
                        problems.append(f"chromium --screenshot failed (exit {shot.returncode}): {shot.stderr.strip()[-300:]}")

    if problems:
        for p in problems:
            print(f"FAIL {p}", file=sys.stderr)
        print(f"check_report_html: {len(problems)} problem(s) in {a.report_html}", file=sys.stderr)
        return 1
    browser = "" if n_dom is None else f", {n_dom} in the browser DOM, no network request"
    print(f"check_report_html: ok: {len(SECTION_IDS)} sections, {n_static} figures match {a.summary_json}{browser}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
