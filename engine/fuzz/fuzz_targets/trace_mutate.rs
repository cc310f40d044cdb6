//! Traces someone edited: a checked-in witness, mutated field by field in its JSON form or
//! byte by byte in its binary body (checksum fixed up), including its embedded scenario
//! and its events. Whatever still reads is shown (replayed, explained, exported, drawn).

#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use daxlab::trace::Trace;
use daxlab_fuzz::Bytes;
use daxlab_fuzz::hostile::{mutate_binary, mutate_json, show};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

#[derive(Arbitrary, Debug)]
struct Plan {
    /// Which checked-in trace to start from.
    base: u8,
    /// Mutate the binary body instead of the JSON form.
    binary: bool,
    /// How many JSON mutations (1 to 4).
    rounds: u8,
}

const BASES: [&[u8]; 3] = [
    include_bytes!("../../../traces/seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace"),
    include_bytes!("../../../traces/hole-read-then-write.fixed.bug-hole-page-over-wrong-entry.daxtrace"),
    include_bytes!("../../../traces/fsync-vs-fsync.unfixed.data-loss.daxtrace"),
];

fn bases() -> &'static Vec<Trace> {
    static B: OnceLock<Vec<Trace>> = OnceLock::new();
    B.get_or_init(|| BASES.iter().map(|b| Trace::decode(b, "base").expect("checked-in traces read")).collect())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(plan) = Plan::arbitrary(&mut u) else { return };
    let base = &bases()[usize::from(plan.base) % BASES.len()];
    let mut e = Bytes(u);
    let bytes = if plan.binary {
        mutate_binary(base, &mut e)
    } else {
        let mut doc: serde_json::Value = serde_json::from_slice(&base.encode_json()).expect("JSON");
        for _ in 0..1 + plan.rounds % 4 {
            mutate_json(&mut doc, &mut e);
        }
        serde_json::to_vec(&doc).expect("bytes")
    };
    if let Ok(t) = Trace::decode(&bytes, "mutated") {
        show(&t);
    }
});
