//! The seed race on loom 0.7.3 (benchmark only): `seed/port.rs` compiled against loom's
//! primitives and explored by loom's preemption-bounded DPOR.

pub mod sync {
    pub use loom::sync::atomic;
    pub use loom::sync::{Mutex, MutexGuard};
    pub use loom::thread;
}

#[path = "../../seed/port.rs"]
pub mod port;

#[path = "../../seed/measure.rs"]
mod measure;

pub use measure::Outcome;
pub use port::Variant;

/// Explores every interleaving loom considers within `preemption_bound` (None: unbounded),
/// stopping at the first failing execution.
///
/// Note: loom 0.7.3 prints a `dbg!` line to stderr at every Mutex acquisition
/// (src/rt/mutex.rs); the caller decides where stderr goes.
pub fn explore(variant: Variant, preemption_bound: Option<usize>) -> Outcome {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = preemption_bound;
    builder.max_permutations = None;
    builder.max_duration = None;
    builder.checkpoint_file = None;
    builder.log = false;
    builder.location = false;
    measure::measure(|| builder.check(measure::counted_execution(variant)))
}
