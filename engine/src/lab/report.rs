//! What the guest tells the host about one iteration of a workload: a JSON line on the
//! capture port after the iteration's trace. Both sides use these types, so the guest
//! program and the host's reader cannot drift apart.

use serde::{Deserialize, Serialize};

/// How one process of the workload ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProcessEnd {
    /// All its threads ran every operation.
    Exited { code: i32 },
    /// Killed by a signal (SIGBUS for a fault past EOF, as the kernel delivers it).
    Signaled { signal: String },
    /// Did not end within the guest's deadline (then the guest powers off).
    Hung,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessResult {
    pub name: String,
    /// The address the mapping really got (the scenario's when the kernel allowed it).
    pub address: u64,
    pub end: ProcessEnd,
}

/// A system call of the workload that failed (the thread carries on, as in the model).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyscallError {
    pub thread: String,
    pub op: usize,
    pub call: String,
    pub errno: String,
}

/// A stored value that the file did not hold afterwards.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lost {
    pub offset: u64,
    pub expected: u64,
    pub found: u64,
}

/// The read-back of every value the workload stored or wrote, through pread(2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataCheck {
    Checked {
        values: u64,
        lost: Vec<Lost>,
    },
    /// Why the expected contents are not known (e.g. a truncate, or two threads storing
    /// to one offset, make them depend on the interleaving).
    Skipped {
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IterationResult {
    /// Counts every run of every scenario of the boot, from 1.
    pub iteration: u32,
    pub scenario: String,
    pub file: String,
    /// statx() reported STATX_ATTR_DAX for the file.
    pub dax: bool,
    /// The shared mappings were made MAP_SHARED_VALIDATE | MAP_SYNC.
    pub map_sync: bool,
    pub processes: Vec<ProcessResult>,
    pub syscall_errors: Vec<SyscallError>,
    pub data: DataCheck,
    /// The trace buffer dropped events (entries-in-buffer < entries-written).
    pub trace_overflow: bool,
    pub elapsed_us: u64,
}

/// The line that frames a capture on the capture port.
pub const CAPTURE_BEGIN: &str = "=== TRACE BEGIN iteration ";
pub const CAPTURE_END: &str = "=== TRACE END ===";
/// The prefix of the result line that follows a capture.
pub const RESULT_PREFIX: &str = "daxlab-result ";
