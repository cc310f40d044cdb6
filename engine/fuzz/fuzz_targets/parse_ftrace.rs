//! Any bytes given to the ftrace reader must come back as a capture or an error, never as a
//! panic; and whatever it reads must print and read back to the same records.
//!
//! cargo +nightly fuzz run parse_ftrace   (from engine/; seed the corpus with
//! tests/data/real-kernels/*.txt, see docs/real-kernels.md)

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cap) = daxlab::ftrace::Capture::parse(data, "fuzz input") {
        let kt = daxlab::ftrace::KernelTrace::from_capture(cap, "fuzz input", None);
        let _ = kt.explain();
        let _ = kt.to_perfetto();
        let text = daxlab::ftrace::write_trace(&kt.records);
        let again = daxlab::ftrace::Capture::parse_text(&text);
        assert_eq!(again.records.len(), kt.records.len(), "printed records read back");
    }
});
