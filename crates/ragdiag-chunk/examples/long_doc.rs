//! Times every chunker spec on one long document (`'word ' * WORDS` by default, or the text of
//! a file), to check that chunking stays linear in a document's length.
//!
//! ```text
//! cargo run --release -p ragdiag-chunk --example long_doc [WORDS | --file PATH] [--model TOKENIZER_JSON] [--by-chars] [SPEC...]
//! ```
//!
//! After chunking, every chunk's text is sliced out through its byte span (`ChunkOut::bytes`),
//! or, with `--by-chars`, through its code-point span converted back to bytes chunk by chunk
//! (`ragdiag_core::char_span_to_bytes`, a scan of the text from its start each time: quadratic
//! in the document's length, the way `ragdiag index` sliced chunks before it used the bytes).
//!
//! Specs default to `tokens:200/0@cl100k`, `tokens:250/125@cl100k`, `recursive:400/0@cl100k`,
//! `sentence:200@cl100k` and `markdown:400@cl100k`; specs without `@cl100k` need `--model`.
#![allow(missing_docs, clippy::print_stdout)]

use ragdiag_chunk::{Chunker, ChunkerSpec, ModelTokenizer, Tokenizer};
use ragdiag_core::char_span_to_bytes;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

const SPECS: &[&str] = &[
    "tokens:200/0@cl100k",
    "tokens:250/125@cl100k",
    "recursive:400/0@cl100k",
    "sentence:200@cl100k",
    "markdown:400@cl100k",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut words = 800_000usize;
    let mut file: Option<PathBuf> = None;
    let mut model: Option<Arc<dyn Tokenizer>> = None;
    let mut specs: Vec<String> = Vec::new();
    let mut by_chars = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--by-chars" => by_chars = true,
            "--file" => file = Some(args.next().ok_or("--file needs a path")?.into()),
            "--model" => {
                let p: PathBuf = args.next().ok_or("--model needs a path")?.into();
                model = Some(Arc::new(ModelTokenizer::from_file(&p)?));
            }
            _ if a.bytes().all(|b| b.is_ascii_digit()) => words = a.parse()?,
            _ => specs.push(a),
        }
    }
    if specs.is_empty() {
        specs = SPECS.iter().map(|s| (*s).to_owned()).collect();
    }
    let text = match &file {
        Some(p) => std::fs::read_to_string(p)?,
        None => "word ".repeat(words),
    };
    println!("{} bytes", text.len());
    for s in &specs {
        let spec: ChunkerSpec = s.parse()?;
        let chunker = Chunker::for_spec(spec, model.clone())?;
        let t = Instant::now();
        let chunks = chunker.chunk("doc", &text, None)?;
        let chunked = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut sliced = 0usize;
        for c in &chunks {
            let bytes = if by_chars {
                let (a, b) = char_span_to_bytes(&text, c.chunk.start, c.chunk.end)
                    .ok_or("chunk span out of range")?;
                a..b
            } else {
                c.bytes.clone()
            };
            sliced += text[bytes].len();
        }
        println!(
            "{s:<26} {:>8} chunks {chunked:>8.2} s chunking {:>8.2} s slicing {sliced} bytes",
            chunks.len(),
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
