//! What the fuzz targets share: the generators and the pipeline of engine/tests (included
//! by path, so the property tests and the fuzzer push inputs through the same code), an
//! [`Entropy`](hostile::Entropy) over the fuzzer's bytes, and the workbench's way of
//! opening a trace.

#[path = "../../tests/support/hostile.rs"]
pub mod hostile;

use arbitrary::Unstructured;

/// Random choices drawn from the fuzzer's bytes (0 once they run out).
pub struct Bytes<'a>(pub Unstructured<'a>);

impl hostile::Entropy for Bytes<'_> {
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.0.int_in_range(0..=n - 1).unwrap_or(0) }
    }
}

/// What the workbench does with a file dropped on it (desktop or browser): decode, replay,
/// index; then the state and the narration at a few positions, as stepping would.
pub fn open_in_workbench(bytes: &[u8]) {
    let Ok(t) = daxlab::trace::Trace::decode(bytes, "fuzz") else { return };
    if !t.scenario().is_ok_and(|sc| hostile::small_enough(&sc)) {
        return;
    }
    let Ok(doc) = daxlab_gui::model::Loaded::open_bytes("fuzz", bytes) else { return };
    for pos in [0, doc.len() / 3, doc.len() / 2, doc.len()] {
        let _ = doc.state_after(pos);
        let _ = doc.narration(pos.saturating_sub(1));
    }
}
