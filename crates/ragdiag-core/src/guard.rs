//! A guard for third-party decoders of untrusted bytes.

/// Runs `f`, which decodes untrusted bytes with a third-party decoder, and turns a panic inside
/// it into `Err(message)`.
///
/// Bad input must never panic ragdiag, but some decoders do on corrupt data: the `parquet`
/// crate (60.x) panics on some damaged pages (`offset + len out of bounds` while reading
/// definition levels; found by the `trace` fuzz target). Callers report the message as a
/// corrupt-file error naming the file. Whatever `f` filled in before the panic must be thrown
/// away by the caller; the panic hook still prints the panic's message.
///
/// # Errors
///
/// The panic's message when `f` panicked.
pub fn catch_decoder_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message() {
        assert_eq!(catch_decoder_panic(|| 7), Ok(7));
        let e = catch_decoder_panic(|| -> u8 { panic!("offset + len out of bounds") });
        assert_eq!(e, Err("offset + len out of bounds".to_owned()));
        let n = 3;
        let e = catch_decoder_panic(|| -> u8 { panic!("bad page {n}") });
        assert_eq!(e, Err("bad page 3".to_owned()));
    }
}
