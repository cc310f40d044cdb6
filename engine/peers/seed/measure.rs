//! How a peer crate runs the port and what it reports: executions, tool-visible operations,
//! wall time, and the first failure. Compiled into both peer crates beside `port.rs`.

use crate::port::{OPS, Variant, seed_race};
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

thread_local! {
    /// Executions started since the last `measure` on this thread (the tools re-run the
    /// closure per execution, on the thread that started the search).
    static EXECUTIONS: Cell<u64> = const { Cell::new(0) };
}

/// What one search did.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub executions: u64,
    /// Tool-visible operations of the kernel model over all executions.
    pub ops: u64,
    pub elapsed: Duration,
    /// The panic message of the first failing execution, if the search found one.
    pub failure: Option<String>,
}

/// The model closure the tools run: one execution of the seed race, counted.
pub fn counted_execution(variant: Variant) -> impl Fn() + Send + Sync + 'static {
    move || {
        EXECUTIONS.set(EXECUTIONS.get() + 1);
        seed_race(variant);
    }
}

/// Runs a search (which panics on the first failure, as loom and shuttle do) and reports it.
pub fn measure(search: impl FnOnce()) -> Outcome {
    EXECUTIONS.set(0);
    OPS.set(0);
    let started = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(search));
    let elapsed = started.elapsed();
    Outcome {
        executions: EXECUTIONS.get(),
        ops: OPS.get(),
        elapsed,
        failure: result.err().map(|p| {
            p.downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".into())
        }),
    }
}
