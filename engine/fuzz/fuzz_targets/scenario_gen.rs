//! Scenarios as structures: the fuzzer's bytes drive the generator of engine/tests (every
//! operation, optional keys left out, numbers at the edges where sums wrap), whose TOML is
//! refused with an error or run under a random schedule with a step cap and shown.

#![no_main]

use arbitrary::Unstructured;
use daxlab_fuzz::Bytes;
use daxlab_fuzz::hostile::{run_scenario, scenario_toml, small_enough};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let seed: u64 = u.arbitrary().unwrap_or(0);
    let text = scenario_toml(&mut Bytes(u));
    if let Ok(sc) = daxlab::Scenario::from_toml(&text, "generated.toml")
        && small_enough(&sc)
    {
        run_scenario(&sc, seed);
    }
});
