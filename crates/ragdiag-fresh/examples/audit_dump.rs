//! Prints the whole `Audit` of a corpus with `{:#?}`: the comparison harness for changes that
//! must leave the audit's output byte-identical (run it before and after on the same corpus and
//! `cmp` the files). Peak memory and CPU time of the audit alone: run it under `/usr/bin/time -v`.
//!
//! `cargo run --release -p ragdiag-fresh --example audit_dump -- CORPUS AS_OF [BATCH] > audit.txt`
//!
//! With `BATCH`, the audit is [`ragdiag_fresh::audit_batched`] over the documents with their
//! texts moved out (read from a separate list, a batch at a time): its output must be the same.

use ragdiag_core::Timestamp;
use ragdiag_fresh::{audit, audit_batched, Config, Texts};
use ragdiag_load::{load_corpus, LoadOptions};
use std::io::Write as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(corpus), Some(as_of)) = (args.next(), args.next()) else {
        return Err("usage: audit_dump CORPUS AS_OF".into());
    };
    let as_of = Timestamp::parse(&as_of).ok_or("AS_OF: not a date")?;
    let batch: Option<usize> = args.next().map(|b| b.parse()).transpose()?;
    let mut loaded = load_corpus(
        std::path::Path::new(&corpus),
        &LoadOptions { skip_invalid: true },
    )?;
    let started = std::time::Instant::now();
    let report = match batch {
        None => audit(&loaded.items, &Config::new(as_of)),
        Some(batch) => {
            let texts = Apart(
                loaded
                    .items
                    .iter_mut()
                    .map(|d| std::mem::take(&mut d.text))
                    .collect(),
            );
            audit_batched(&loaded.items, &texts, &Config::new(as_of), batch)
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    writeln!(
        std::io::stderr(),
        "{} documents audited in {seconds:.2} s",
        loaded.items.len()
    )?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    writeln!(out, "{report:#?}")?;
    Ok(())
}

/// Texts held apart from their documents.
struct Apart(Vec<String>);

impl Texts for Apart {
    fn text(&self, i: usize) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(self.0.get(i).map_or("", String::as_str))
    }
}
