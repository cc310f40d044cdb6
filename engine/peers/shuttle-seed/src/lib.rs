//! The seed race on shuttle 0.8.1 (benchmark only): `seed/port.rs` compiled against
//! shuttle's primitives, run under shuttle's depth-first, PCT and uniform random schedulers.

pub mod sync {
    pub use shuttle::sync::atomic;
    pub use shuttle::sync::{Mutex, MutexGuard};
    pub use shuttle::thread;
}

#[path = "../../seed/port.rs"]
pub mod port;

#[path = "../../seed/measure.rs"]
mod measure;

pub use measure::Outcome;
pub use port::Variant;

use shuttle::scheduler::{DfsScheduler, PctScheduler, RandomScheduler, Scheduler};
use shuttle::{Config, FailurePersistence, Runner};

fn run(scheduler: impl Scheduler + 'static, variant: Variant) -> Outcome {
    let mut config = Config::new();
    // The caller reports the failure; shuttle would print the schedule to replay it.
    config.failure_persistence = FailurePersistence::None;
    config.silence_warnings = true;
    measure::measure(|| {
        Runner::new(scheduler, config).run(measure::counted_execution(variant));
    })
}

/// Shuttle's exhaustive depth-first search. It has no preemption bound; `max_executions`
/// caps it (None: until the space is exhausted or a failure is found).
pub fn dfs(variant: Variant, max_executions: Option<usize>) -> Outcome {
    run(DfsScheduler::new(max_executions, false), variant)
}

/// Probabilistic concurrency testing (Burckhardt et al. 2010) with bug depth `depth`:
/// `max_executions` runs from `seed`, stopping at the first failure.
pub fn pct(variant: Variant, depth: usize, seed: u64, max_executions: usize) -> Outcome {
    run(PctScheduler::new_from_seed(seed, depth, max_executions), variant)
}

/// Uniformly random scheduling: `max_executions` runs from `seed`, stopping at the first
/// failure.
pub fn random(variant: Variant, seed: u64, max_executions: usize) -> Outcome {
    run(RandomScheduler::new_from_seed(seed, max_executions), variant)
}
