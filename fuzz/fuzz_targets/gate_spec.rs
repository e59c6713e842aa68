//! Specs given as flags: `--fail-under` gates (even first byte) and `--price` prices (odd). An
//! accepted spec has finite values (prices ≥ 0) and trimmed names, and its canonical form parses
//! back to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ragdiag_contract::{Gates, Price};

fn gates(s: &str) {
    let Ok(gates) = s.parse::<Gates>() else {
        return;
    };
    for (m, v) in &gates.0 {
        assert!(v.is_finite(), "{m}={v}");
        assert_eq!(m.trim(), m, "untrimmed metric name {m:?}");
    }
    let canonical = gates.to_string();
    let back: Gates = canonical
        .parse()
        .unwrap_or_else(|e| panic!("canonical form {canonical:?} does not parse: {e}"));
    assert_eq!(back, gates, "round trip through {canonical:?}");
}

fn price(s: &str) {
    let p = match s.parse::<Price>() {
        Ok(p) => p,
        Err(e) => {
            assert!(!e.trim().is_empty());
            return;
        }
    };
    for v in [p.prompt, p.completion] {
        assert!(v.is_finite() && v >= 0.0, "{p:?}");
    }
    let canonical = p.to_string();
    let back: Price = canonical
        .parse()
        .unwrap_or_else(|e| panic!("canonical form {canonical:?} does not parse: {e}"));
    assert_eq!(back, p, "round trip through {canonical:?}");
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(s) = std::str::from_utf8(rest) else {
        return;
    };
    if selector % 2 == 0 {
        gates(s);
    } else {
        price(s);
    }
});
