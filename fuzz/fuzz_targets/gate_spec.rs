//! Gate specs (`--fail-under`): accepted specs have finite thresholds and trimmed names, and
//! their canonical form parses back to the same gates.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ragdiag_contract::Gates;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
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
});
