//! Any bytes given to the trace reader come back as a trace or an error, never as a panic,
//! a hang or an allocation out of proportion to the input; a trace that reads is then
//! shown (replayed, explained, exported, drawn).
//!
//! cargo +nightly fuzz run decode_trace   (from engine/; see docs/fuzzing.md)

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = daxlab::trace::Trace::decode(data, "fuzz input") {
        daxlab_fuzz::hostile::show(&t);
    }
});
