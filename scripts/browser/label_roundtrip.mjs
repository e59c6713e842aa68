// Labels pairs on the labelling page of `ragdiag pool` in headless Chromium, as two people
// would: real clicks and key presses, a note, a reload (the labels must survive it), then the
// one-click exports, saved where the round trip reads them.
//
//   node scripts/browser/label_roundtrip.mjs LABEL_HTML OUT_DIR [PAIRS] [--chromium BIN]
//
// Labeller "ann" grades the first PAIRS pairs (default 20) by what the page shows: 2 when it
// marks an evidence candidate, 0 otherwise; the first pair by clicking its button, the rest with
// the keys 0–3. Labeller "bob" (a fresh browser profile) grades the same pairs with a stricter
// rule: 2 only when two or more sentences are marked. Writes OUT_DIR/ann.jsonl (JSONL export)
// and OUT_DIR/bob.csv (CSV export), and checks along the way: progress counts, the note,
// persistence across a reload, navigation keys, shortcuts ignored while typing, the exported
// rows, and that the page requested nothing but itself. Exit 0 when all holds, 1 otherwise.
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
let chromiumBin = "/usr/bin/chromium";
const ci = args.indexOf("--chromium");
if (ci >= 0) {
  chromiumBin = args[ci + 1];
  args.splice(ci, 2);
}
if (args.length < 2) {
  console.error("usage: label_roundtrip.mjs LABEL_HTML OUT_DIR [PAIRS] [--chromium BIN]");
  process.exit(2);
}
const [pagePath, outDir] = args;
const wanted = Number(args[2] || 20);
const pageUrl = pathToFileURL(path.resolve(pagePath)).href;
fs.mkdirSync(outDir, { recursive: true });

const problems = [];
const check = (ok, what) => {
  if (!ok) problems.push(what);
};

async function progress(page) {
  const t = await page.textContent("#progress");
  const m = /^(\d+) of (\d+) labelled$/.exec(t.trim());
  if (!m) throw new Error(`unexpected progress text ${JSON.stringify(t)}`);
  return [Number(m[1]), Number(m[2])];
}

async function shown(page) {
  return {
    qid: await page.textContent("#qid"),
    doc: await page.textContent("#doc"),
    marks: await page.locator("#passage mark").count(),
  };
}

async function label(browser, who, rule, exportKind, file) {
  const context = await browser.newContext({ acceptDownloads: true });
  const requests = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url !== pageUrl) {
      requests.push(url);
      return route.abort();
    }
    return route.continue();
  });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(pageUrl);
  const [done0, total] = await progress(page);
  check(done0 === 0, `${who}: a fresh profile starts with ${done0} labelled`);
  const pairs = Math.min(wanted, total);
  check(pairs > 1, `${who}: the pool has ${total} pairs, need at least 2`);

  // Exporting before a name is entered asks for one.
  await page.click("#export-jsonl");
  check(
    (await page.textContent("#status")).includes("enter your name"),
    `${who}: export without a labeller name did not ask for one`,
  );
  await page.click("#labeller");
  await page.keyboard.type(who);
  // Shortcuts are ignored while typing: the name has digits in it and nothing got graded.
  await page.keyboard.type("1");
  await page.keyboard.press("Backspace");
  check((await progress(page))[0] === 0, `${who}: typing a digit in the name field graded a pair`);
  await page.keyboard.press("Escape");

  const graded = [];
  for (let i = 0; i < pairs; i++) {
    const s = await shown(page);
    const g = rule(s);
    if (i === 1) {
      // A note on the second pair, typed after the shortcut `n`.
      await page.keyboard.press("n");
      await page.keyboard.type(`checked by ${who}, "quoted", 3 words`);
      await page.keyboard.press("Escape");
    }
    if (i === 0) {
      await page.click(`#grades button[data-grade="${g}"]`);
    } else {
      await page.keyboard.press(String(g));
    }
    graded.push({ ...s, grade: g });
    const [done] = await progress(page);
    check(done === i + 1, `${who}: after ${i + 1} grades the page says ${done} labelled`);
  }

  // Back to the last pair graded with the arrow key: it shows its grade.
  await page.keyboard.press("ArrowLeft");
  const back = await shown(page);
  const last = graded[graded.length - 1];
  check(
    back.qid === last.qid && back.doc === last.doc,
    `${who}: ArrowLeft shows ${back.qid}/${back.doc}, expected ${last.qid}/${last.doc}`,
  );
  check(
    (await page.textContent("#current")).startsWith(`graded ${last.grade} by ${who}`),
    `${who}: the previous pair does not show its grade`,
  );
  await page.keyboard.press("ArrowRight");

  // Labels survive a reload (local storage).
  await page.reload();
  check((await progress(page))[0] === pairs, `${who}: labels lost on reload`);
  check((await page.inputValue("#labeller")) === who, `${who}: labeller name lost on reload`);

  const button = exportKind === "jsonl" ? "#export-jsonl" : "#export-csv";
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
  await download.saveAs(file);
  check(
    download.suggestedFilename().endsWith(`-${who}.${exportKind}`),
    `${who}: export named ${download.suggestedFilename()}`,
  );
  check(errors.length === 0, `${who}: page errors: ${errors.join("; ")}`);
  check(requests.length === 0, `${who}: the page requested ${requests.join(", ")}`);
  await context.close();
  return graded;
}

function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\n") {
      row.push(cell.replace(/\r$/, ""));
      rows.push(row);
      row = [];
      cell = "";
    } else cell += c;
  }
  return rows;
}

const browser = await chromium.launch({ executablePath: chromiumBin, headless: true });
try {
  const annFile = path.join(outDir, "ann.jsonl");
  const bobFile = path.join(outDir, "bob.csv");
  const ann = await label(browser, "ann", (s) => (s.marks > 0 ? 2 : 0), "jsonl", annFile);
  const bob = await label(browser, "bob", (s) => (s.marks > 1 ? 2 : 0), "csv", bobFile);

  const rows = fs
    .readFileSync(annFile, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
  check(rows.length === ann.length, `ann.jsonl has ${rows.length} rows, ${ann.length} graded`);
  ann.forEach((g, i) => {
    const r = rows.find((x) => x.query_id === g.qid && x.doc === g.doc);
    check(r && r.grade === g.grade, `ann.jsonl: pair ${i + 1} (${g.qid} ${g.doc}) exported as ${JSON.stringify(r)}`);
    check(r && r.labeller === "ann" && /^\d{4}-\d\d-\d\dT/.test(r.labelled_at), `ann.jsonl: pair ${i + 1} lacks labeller or date`);
    check(r && /^sha256:[0-9a-f]{64}$/.test(r.doc_hash || ""), `ann.jsonl: pair ${i + 1} lacks the document hash`);
  });
  const noted = rows.find((x) => x.query_id === ann[1].qid && x.doc === ann[1].doc);
  check(noted && noted.note === 'checked by ann, "quoted", 3 words', `ann.jsonl: note exported as ${JSON.stringify(noted && noted.note)}`);

  const csv = parseCsv(fs.readFileSync(bobFile, "utf8"));
  check(
    csv[0].join(",") === "query_id,doc,grade,labeller,labelled_at,doc_hash,note",
    `bob.csv header ${csv[0]}`,
  );
  check(csv.length - 1 === bob.length, `bob.csv has ${csv.length - 1} rows, ${bob.length} graded`);
  const bobNoted = csv.find((r) => r[0] === bob[1].qid && r[1] === bob[1].doc);
  check(bobNoted && bobNoted[6] === 'checked by bob, "quoted", 3 words', `bob.csv: note read back as ${bobNoted && bobNoted[6]}`);
  const disagree = ann.filter((g, i) => g.grade !== bob[i].grade).length;
  console.log(
    `labelled ${ann.length} pairs twice (ann: JSONL export, bob: CSV export); they disagree on ${disagree}`,
  );
} finally {
  await browser.close();
}
if (problems.length) {
  for (const p of problems) console.log(`FAIL ${p}`);
  process.exit(1);
}
console.log("labelling page: clicks, keys, note, reload, exports: ok");
