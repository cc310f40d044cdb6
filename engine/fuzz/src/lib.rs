//! What the fuzz targets share: the generators and the pipeline of engine/tests (included
//! by path, so the property tests and the fuzzer push inputs through the same code) and an
//! [`Entropy`](hostile::Entropy) over the fuzzer's bytes. The workbench's own indexes of a
//! trace are pushed through the same mutations by gui/tests/hostile.rs (the GUI's
//! dependencies would make the fuzz build several times longer).

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
