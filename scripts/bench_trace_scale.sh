#!/usr/bin/env bash
# Trace diagnosis at production shape against the question count (issue 15, items 1 and 4):
# wall, user and system time and peak memory (GNU time) of `ragdiag diagnose` on the traces of
# scripts/gen_scale_trace.py, questions per second, and the sizes of the reports.
#
#   scripts/bench_trace_scale.sh                     # 3,200 / 10,000 / 30,000 from files, 100,000 piped
#   SIZES="3200 10000" scripts/bench_trace_scale.sh  # a subset
#
# Traces of up to FILE_MAX questions (default 30,000: 3.1 GB) are written to WORK and diagnosed
# from the file, then deleted. Larger ones never touch the disk: the generator pipes the trace
# into `ragdiag diagnose --trace -`; the generator is first run alone (`> /dev/null`, which also
# writes the corpus and questions the diagnosis reads), so its CPU can be told apart from
# ragdiag's (the two share the cores in the piped run). The report.html of the largest size is
# rendered in headless Chromium (when one is on PATH) and its wall time printed.
#
# The last line gives the resident memory per question between the smallest and the largest
# size (issue 15 item 1's bound: the corpus plus a constant would make it ~0).
#
# Environment: RAGDIAG (the binary; default target/release/ragdiag), SIZES, FILE_MAX, WORK
# (default /tmp/ragdiag-bench-trace, removed at the end), PAGES (corpus pages; default 3400),
# ORDER (`shuffled`: the questions file in a seeded random order, so the trace's lines come out
# of question order; default: the generator's order).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${RAGDIAG:-target/release/ragdiag}
SIZES=${SIZES:-"3200 10000 30000 100000"}
FILE_MAX=${FILE_MAX:-30000}
WORK=${WORK:-/tmp/ragdiag-bench-trace}
PAGES=${PAGES:-3400}
GEN="python3 scripts/gen_scale_trace.py --pages $PAGES"
[ -x "$BIN" ] || { echo "no binary at $BIN (cargo build --release -p ragdiag)" >&2; exit 2; }
rm -rf "$WORK"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

# GNU time's wall, user, sys (s) and peak RSS (KB) of a command, into $WORK/t.
timed() { /usr/bin/time -f "%e %U %S %M" -o "$WORK/t" "$@"; }
kb() { echo $(( ($(stat -c %s "$1") + 512) / 1024 )); }

ORDER=${ORDER:-}
case "$ORDER" in ""|shuffled) ;; *) echo "ORDER must be empty or shuffled" >&2; exit 2 ;; esac
# Questions in a seeded random order (the trace keeps the generator's).
shuffle() {
  python3 -c 'import random, sys; p = sys.argv[1]; lines = open(p).readlines(); random.Random(15).shuffle(lines); open(p, "w").writelines(lines)' "$1"
}
first_rss=""; first_n=""
printf "%-9s %-6s %8s %8s %7s %9s %8s %12s %9s %12s\n" questions trace wall_s user_s sys_s rss_MB q_per_s report_html_KB report_md_KB summary_json_KB
largest=""
for n in $SIZES; do
  dir="$WORK/q$n"
  args=(diagnose --quiet --corpus "$dir/corpus.jsonl" --queries "$dir/queries.jsonl"
        --as-of 2026-10-01 --out "$dir/report")
  if (( n <= FILE_MAX )); then
    $GEN --questions "$n" --out "$dir" > /dev/null
    [ "$ORDER" = shuffled ] && shuffle "$dir/queries.jsonl"
    timed "$BIN" "${args[@]}" --trace "$dir/trace.jsonl" > /dev/null
    read -r wall user sys rss < "$WORK/t"
    src=file
    rm -f "$dir/trace.jsonl"
  else
    timed $GEN --questions "$n" --out "$dir" --trace-stdout > /dev/null
    read -r gwall guser gsys grss < "$WORK/t"
    echo "generator alone, $n questions: wall ${gwall} s, user ${guser} s, sys ${gsys} s, peak $(( grss / 1024 )) MB" >&2
    [ "$ORDER" = shuffled ] && shuffle "$dir/queries.jsonl"
    # The piped run's generator writes its own (identical) corpus and questions elsewhere.
    $GEN --questions "$n" --out "$dir/gen" --trace-stdout \
      | timed "$BIN" "${args[@]}" --trace - > /dev/null
    read -r wall user sys rss < "$WORK/t"
    src=stdin
  fi
  qps=$(python3 -c "print(round($n / $wall))")
  printf "%-9s %-6s %8s %8s %7s %9s %8s %12s %9s %12s\n" "$n" "$src" "$wall" "$user" "$sys" \
    $(( rss / 1024 )) "$qps" "$(kb "$dir/report/report.html")" "$(kb "$dir/report/report.md")" \
    "$(kb "$dir/report/summary.json")"
  [ -n "$largest" ] && rm -rf "$largest"
  largest="$dir"
  [ -z "$first_n" ] && { first_n=$n; first_rss=$rss; }
  last_n=$n; last_rss=$rss
done
if [ -n "$first_n" ] && [ "$last_n" != "$first_n" ]; then
  python3 -c "import sys; a, b, ra, rb = map(int, sys.argv[1:]); print(f'resident memory per question from {a:,} to {b:,} questions: {(rb - ra) / (b - a):.2f} KB')" \
    "$first_n" "$last_n" "$first_rss" "$last_rss" >&2
fi

chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$chromium" ] && [ -n "$largest" ]; then
  timed "$chromium" --headless --no-sandbox --disable-gpu --screenshot="$WORK/page.png" \
    --window-size=1280,2600 "file://$(realpath "$largest/report/report.html")" > /dev/null 2>&1
  read -r wall user sys rss < "$WORK/t"
  echo "headless Chromium screenshot of the largest report.html: wall ${wall} s" >&2
fi
