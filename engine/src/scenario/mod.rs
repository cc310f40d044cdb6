//! Workloads as data: a TOML file describes the DAX file, the processes that map it and,
//! per thread, the loads, stores and faults to run. The built-in catalogue is written in
//! the same format. Running one ([`execute`]) builds its machine, runs its threads on the
//! deterministic executor and classifies how the machine ended.

mod build;
mod builtin;
mod classify;
mod expect;
mod format;
mod generate;
mod program;
mod run;
mod size;
mod validate;

pub use builtin::{BUILTINS, builtin, builtin_names};
pub use classify::{RunEnd, classify};
pub use expect::{Covers, Expect, KernelExpect};
pub use format::{
    ExtentSpec, FileSpec, MmapSpec, Op, PreloadPool, ProcessSpec, Scenario, ScenarioError, Thp, ThreadSpec,
};
pub use generate::{Holetest, HoletestFile};
pub use program::run_thread;
pub use run::{Execution, RunConfig, execute, execute_with};
pub use size::Size;
pub use validate::{MAX_FILE_SIZE, MAX_NAME_LEN, MAX_PREEMPTIONS, MAX_THREADS, file_name_safe};

/// Where user-space mappings start: 2 MiB aligned, as thp_get_unmapped_area() places DAX
/// mappings of at least 2 MiB.
pub const DEFAULT_MAP_BASE: u64 = 0x7f00_0000_0000;
