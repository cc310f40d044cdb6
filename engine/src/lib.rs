//! daxlab: the Linux v4.11 DAX entry/fault path as an explorable, replayable model.
//!
//! The kernel model lives in one room per subsystem — [`radix`], [`dax`], [`mm`], [`fs`],
//! [`pmem`], [`kernel`] — and runs on the workbench machinery beside it: [`sim`] (the
//! deterministic executor), [`trace`] (events), [`check`] (invariants and outcomes),
//! [`scenario`] (workloads) and [`explore`] (interleaving search).
//!
//! Every emulated kernel function is an `async fn` taking a [`sim::Cx`]; each operation on
//! shared kernel state is an `.await` on the context, which is a scheduling point.

pub mod analysis;
pub mod challenge;
pub mod check;
pub mod dax;
pub mod explore;
#[cfg(not(target_arch = "wasm32"))]
pub mod figure;
pub mod fs;
pub mod kernel;
pub mod mm;
pub mod pmem;
pub mod radix;
pub mod scenario;
pub mod sim;
#[cfg(not(target_arch = "wasm32"))]
pub mod stress;
pub mod trace;

pub use check::{Invariant, Note, Outcome};
pub use scenario::Scenario;
pub use sim::{Decision, Schedule, Tid, Variant};
