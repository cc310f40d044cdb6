//! daxlab: the Linux v4.11 DAX entry/fault path as an explorable, replayable model.
//!
//! The kernel model lives in one room per subsystem — [`radix`], [`xarray`], [`dax`] (fs/dax.c of
//! the radix-tree era) and [`dax_xa`] (of the XArray era), [`mm`], [`fs`], [`pmem`], [`kernel`] —
//! and runs on the workbench machinery beside it: [`sim`] (the
//! deterministic executor), [`trace`] (events and trace files), [`check`] (invariants and
//! outcomes), [`scenario`] (workloads, and running one) and [`explore`] (interleaving
//! search).
//!
//! Every emulated kernel function is an `async fn` taking a [`sim::Cx`]; each operation on
//! shared kernel state is an `.await` on the context, which is a scheduling point. Each
//! room's context operations are in its `cx.rs` (the list is in [`sim::Cx`]'s module).
//!
//! Dependencies point one way, downwards: the CLI; [`figure`] and [`challenge`];
//! [`analysis`] (with the Perfetto export, whose arrows are analysis results); [`explore`]
//! (with the golden traces) and [`stress`]; the trace files, replay and diff in [`trace`];
//! [`scenario`] (running a scenario: build the machine, run it, classify the end); the
//! kernel model; [`check`]; [`sim`]. The executor knows only the machine it steps, the
//! kernel's wait reasons and the events. The event vocabulary ([`trace::Event`],
//! [`trace::EventKind`]) names values defined in the rooms that own them (an [`radix::Item`],
//! a [`mm::PmdKind`], an [`kernel::Errno`]): plain data every layer may use.

pub mod analysis;
pub mod challenge;
pub mod check;
pub mod dax;
pub mod dax_xa;
pub mod explore;
#[cfg(not(target_arch = "wasm32"))]
pub mod figure;
pub mod footprint;
pub mod fs;
pub mod ftrace;
pub mod input;
pub mod kernel;
#[cfg(not(target_arch = "wasm32"))]
pub mod lab;
pub mod mm;
pub mod pmem;
pub mod radix;
pub mod release;
pub mod scenario;
pub mod sim;
#[cfg(not(target_arch = "wasm32"))]
pub mod stress;
pub mod trace;
pub mod xarray;

pub use check::{Invariant, Note, Outcome};
pub use release::{Fix, Kernel, Release};
pub use scenario::Scenario;
pub use sim::{Decision, Schedule, Tid};
