//! The workbench opens hostile traces as the engine's property tests build them (edited
//! JSON leaves, embedded scenarios and events; binary bodies with the checksum fixed up):
//! each is refused with a message naming it, or opened and stepped through. A panic while
//! indexing would be caught by the workbench and turned into "cannot be replayed"; that
//! message must never appear. Deterministic seeds, a few seconds.

#[path = "../../engine/tests/support/hostile.rs"]
mod hostile;

use daxlab::trace::Trace;
use daxlab_gui::model::Loaded;
use hostile::{Seeded, mutate_binary, mutate_json, small_enough};
use std::path::Path;

fn golden(name: &str) -> Trace {
    Trace::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces").join(name)).expect("a checked-in trace")
}

/// Opens `bytes` as a file dropped on the workbench, then visits a few positions as
/// stepping would. True if it opened.
fn open(bytes: &[u8]) -> bool {
    let Ok(t) = Trace::decode(bytes, "dropped.json") else { return false };
    if !t.scenario().is_ok_and(|sc| small_enough(&sc)) {
        return false;
    }
    match Loaded::open_bytes("dropped.json", bytes) {
        Ok(doc) => {
            for pos in [0, doc.len() / 3, doc.len() / 2, doc.len()] {
                let _ = doc.state_after(pos);
                let _ = doc.narration(pos.saturating_sub(1));
            }
            true
        }
        Err(e) => {
            assert!(e.starts_with("dropped.json"), "{e}");
            assert!(!e.contains("cannot be replayed"), "the workbench panicked opening it: {e}");
            false
        }
    }
}

#[test]
fn mutated_traces_are_refused_or_opened_by_the_workbench() {
    let traces = [
        golden("seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace"),
        golden("hole-read-then-write.fixed.bug-hole-page-over-wrong-entry.daxtrace"),
    ];
    let mut opened = 0;
    for seed in 0..96u64 {
        let t = &traces[(seed % 2) as usize];
        let mut e = Seeded(seed);
        opened += usize::from(open(&mutate_binary(t, &mut e)));
        let mut doc: serde_json::Value = serde_json::from_slice(&t.encode_json()).expect("JSON");
        for _ in 0..1 + seed % 3 {
            mutate_json(&mut doc, &mut e);
        }
        opened += usize::from(open(&serde_json::to_vec(&doc).expect("bytes")));
    }
    assert!(opened >= 10, "only {opened} of 192 mutated traces got as far as the workbench's indexes");
}
