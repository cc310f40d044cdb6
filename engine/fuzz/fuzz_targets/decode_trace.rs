//! Any bytes given to the trace reader must come back as a trace or an error, never as a
//! panic, a hang or an allocation out of proportion to the input.
//!
//! cargo +nightly fuzz run decode_trace   (from engine/; see docs/trace-format.md)

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = daxlab::trace::Trace::decode(data, "fuzz input");
});
