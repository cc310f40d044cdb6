//! Stress runs: the same kernel model on real OS threads, over RAM, a file, or real
//! persistent memory, recorded so that any run can be replayed deterministically.
//!
//! - [`run_real`] runs a scenario with one OS thread per emulated thread (see
//!   [`RealRuntime`] for what is concurrent and what is serialised);
//! - [`to_trace`] turns a recorded real run into a trace by re-running it in the
//!   deterministic executor under the same step order, and checks the two agree;
//! - [`Generic340`] is xfstests generic/340 (holetest) as a loop of such runs.

mod generic340;
mod record;
mod run;
mod runtime;
mod steplock;
mod verify;

pub use generic340::{Generic340, Iteration, Race};
pub use record::{Mismatch, StepOrderScheduler, to_trace};
pub use run::{RealRun, run_real};
pub use runtime::{Perturb, RealConfig, RealRuntime};
pub use steplock::StepLock;
pub use verify::{Verification, verify};
