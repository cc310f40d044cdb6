//! Scenario files as text: the corpus starts from the built-ins (engine/scenarios), which
//! libFuzzer mutates byte by byte. Every text is refused with an error or validated, built
//! and run under a random schedule with a step cap, and the run shown as a trace.

#![no_main]

use daxlab_fuzz::hostile::{run_scenario, small_enough};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(sc) = daxlab::Scenario::from_toml(text, "fuzz.toml")
        && small_enough(&sc)
    {
        run_scenario(&sc, u64::from(data.len() as u32));
    }
});
