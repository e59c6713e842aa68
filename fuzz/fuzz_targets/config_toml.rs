//! `ragdiag.toml` as `diagnose --config` reads it: settings or an error that starts with the
//! file's path (parse errors) or names the setting; resolved settings are in their ranges.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ragdiag_fuzz::write_scratch;

fuzz_target!(|data: &[u8]| {
    let path = write_scratch("ragdiag.toml", data);
    match ragdiag::fuzzing::diagnose_config(&path) {
        Ok(s) => {
            assert!(s.context_k >= 1 && s.pool_k >= s.context_k, "{s:?}");
            for v in [s.cover, s.answer_f1, s.ground_token_share] {
                assert!(v > 0.0 && v <= 1.0, "{s:?}");
            }
            assert!(s.gates.iter().all(|(_, v)| v.is_finite()), "{s:?}");
        }
        Err(e) => {
            let msg = format!("{e:#}");
            assert!(!msg.trim().is_empty());
            assert!(!msg.contains("panicked"), "{msg}");
        }
    }
});
