//! Kernel primitives: spin locks (the irq variant for `tree_lock`), rw-semaphores,
//! preemption and per-task state, and the hashed wait table DAX entry locks sleep on.

mod cx;
mod errno;
mod machine;
mod rwsem;
mod shared;
mod spinlock;
mod task;
mod wait;

pub use errno::Errno;
pub use machine::Machine;
pub use rwsem::RwSem;
pub use shared::Shared;
pub use spinlock::SpinLock;
pub use task::{Task, TaskState, Tasks};
pub use wait::{DAX_WAIT_TABLE_BITS, WaitKey, WaitTable, Waiter, hash_long};

use serde::{Deserialize, Serialize};
use std::fmt;

/// The kernel locks the model names in events and in hang reports.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockId {
    /// `mapping->tree_lock`, taken with spin_lock_irq.
    TreeLock,
    /// The filesystem's fault/truncate lock (ext4 `i_mmap_sem`, xfs MMAPLOCK).
    MmapSem,
    /// `inode->i_rwsem`, held by read(2)/write(2)/truncate.
    IRwsem,
    /// `mapping->i_pages.xa_lock` (v4.17 on; the XArray's lock from v4.20), taken with
    /// xa_lock_irq().
    IPages,
}

impl fmt::Display for LockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LockId::TreeLock => "tree_lock",
            LockId::MmapSem => "i_mmap_sem",
            LockId::IRwsem => "i_rwsem",
            LockId::IPages => "xa_lock(i_pages)",
        })
    }
}

/// What a thread that cannot run is waiting for.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitOn {
    /// Spinning on a held spin lock.
    Spin { lock: LockId },
    /// Asleep in a rw-semaphore queue.
    Rwsem { lock: LockId, write: bool },
    /// Asleep in the DAX wait table on an entry lock.
    Entry { key: WaitKey, bucket: u16 },
    /// Asleep in lock_page() on a hole page.
    Page { page: u32 },
}

impl fmt::Display for WaitOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitOn::Spin { lock } => write!(f, "spins on {lock}"),
            WaitOn::Rwsem { lock, write } => {
                write!(f, "sleeps in {}({lock})", if *write { "down_write" } else { "down_read" })
            }
            WaitOn::Entry { key, bucket } => {
                write!(f, "sleeps on the entry lock at index {:#x} (wait-table bucket {bucket})", key.index)
            }
            WaitOn::Page { page } => write!(f, "sleeps in lock_page(page#{page})"),
        }
    }
}
