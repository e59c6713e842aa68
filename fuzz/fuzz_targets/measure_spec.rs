//! trec_eval measure requests (`-m`, one per line of the input): accepted requests give columns
//! in trec_eval's print order (grouped by measure) that `index_of` finds, and the requests
//! rebuilt from the columns (`measure.p1,p2`) parse
//! back to the same column names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ragdiag_eval::{Column, MeasureSet};

/// The request that asks for `cols` (the columns of one measure) again: cutoffs and real
/// cutoffs as numbers (printed names round them), other parameters as the names print them.
fn request(cols: &[Column]) -> String {
    let base = cols[0].kind.name();
    let params: Vec<String> = cols
        .iter()
        .filter_map(|c| match (c.cutoff, c.fraction) {
            (Some(k), _) => Some(k.to_string()),
            (None, Some(f)) => Some(f.to_string()),
            (None, None) => c
                .name
                .strip_prefix(base)
                .and_then(|p| p.strip_prefix('_'))
                .map(str::to_owned),
        })
        .collect();
    if params.is_empty() {
        base.to_owned()
    } else {
        format!("{base}.{}", params.join(","))
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let requests: Vec<&str> = s.split('\n').collect();
    let Ok(set) = MeasureSet::parse(&requests) else {
        return;
    };
    let cols = set.columns();
    assert!(!cols.is_empty(), "no columns for {requests:?}");
    assert!(
        cols.windows(2).all(|w| w[0].kind <= w[1].kind),
        "not in print order"
    );
    for c in cols {
        let i = set.index_of(&c.name).expect("index_of finds every column");
        assert_eq!(cols[i].name, c.name);
        assert!(
            c.name.starts_with(c.kind.name()),
            "{} is not named after {}",
            c.name,
            c.kind.name()
        );
    }
    let rebuilt: Vec<String> = cols
        .chunk_by(|a, b| a.kind == b.kind)
        .map(request)
        .collect();
    let back = MeasureSet::parse(&rebuilt)
        .unwrap_or_else(|e| panic!("rebuilt requests {rebuilt:?} do not parse: {e}"));
    let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
    let back_names: Vec<&str> = back.columns().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(back_names, names, "round trip through {rebuilt:?}");
});
