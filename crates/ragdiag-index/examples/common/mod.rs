//! Shared by the BEIR examples: loading a BEIR dataset and trec_eval-style nDCG and recall.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;

pub(crate) struct Doc {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) text: String,
}

pub(crate) fn load_corpus(dir: &Path) -> Vec<Doc> {
    let raw = std::fs::read_to_string(dir.join("corpus.jsonl")).expect("corpus.jsonl");
    raw.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("corpus line");
            Doc {
                id: v["_id"].as_str().expect("_id").to_string(),
                title: v["title"].as_str().unwrap_or("").to_string(),
                text: v["text"].as_str().unwrap_or("").to_string(),
            }
        })
        .collect()
}

/// `qrels[qid][docid] = grade`.
pub(crate) fn load_qrels(path: &Path) -> HashMap<String, HashMap<String, i32>> {
    let raw = std::fs::read_to_string(path).expect("qrels");
    let mut out: HashMap<String, HashMap<String, i32>> = HashMap::new();
    for line in raw.lines().skip(1) {
        let f: Vec<&str> = line.trim_end_matches('\r').split('\t').collect();
        if f.len() < 3 {
            continue;
        }
        out.entry(f[0].to_string())
            .or_default()
            .insert(f[1].to_string(), f[2].trim().parse().expect("grade"));
    }
    out
}

/// The queries that have qrels, sorted by id: `(qid, text)`.
pub(crate) fn load_queries(
    dir: &Path,
    qrels: &HashMap<String, HashMap<String, i32>>,
) -> Vec<(String, String)> {
    let raw = std::fs::read_to_string(dir.join("queries.jsonl")).expect("queries.jsonl");
    let mut out: Vec<(String, String)> = raw
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("query line");
            (
                v["_id"].as_str().expect("_id").to_string(),
                v["text"].as_str().expect("text").to_string(),
            )
        })
        .filter(|(id, _)| qrels.contains_key(id))
        .collect();
    out.sort();
    out
}

/// nDCG@10 and recall@100 with trec_eval's semantics (ranking by score descending, then docno
/// descending; gain = grade; log2(rank + 1) discount), averaged over the queries with qrels.
pub(crate) fn ndcg_recall(
    runs: &[(String, Vec<(String, f32)>)],
    qrels: &HashMap<String, HashMap<String, i32>>,
) -> (f64, f64) {
    let mut ndcg = 0.0;
    let mut recall = 0.0;
    for (qid, hits) in runs {
        let judged = &qrels[qid];
        let mut ranked = hits.clone();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
        let mut dcg = 0.0;
        for (i, (doc, _)) in ranked.iter().take(10).enumerate() {
            let g = f64::from(*judged.get(doc).unwrap_or(&0));
            if g > 0.0 {
                dcg += g / ((i + 2) as f64).log2();
            }
        }
        let mut ideal: Vec<i32> = judged.values().copied().filter(|g| *g > 0).collect();
        ideal.sort_unstable_by(|a, b| b.cmp(a));
        let idcg: f64 = ideal
            .iter()
            .take(10)
            .enumerate()
            .map(|(i, g)| f64::from(*g) / ((i + 2) as f64).log2())
            .sum();
        if idcg > 0.0 {
            ndcg += dcg / idcg;
        }
        let rel = ideal.len();
        let found = ranked
            .iter()
            .take(100)
            .filter(|(d, _)| judged.get(d).is_some_and(|g| *g > 0))
            .count();
        if rel > 0 {
            recall += found as f64 / rel as f64;
        }
    }
    let n = runs.len() as f64;
    (ndcg / n, recall / n)
}
