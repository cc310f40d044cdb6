//! The whole emulated machine one execution runs on: every subsystem's state.

use super::{Shared, Tasks, WaitTable};
use crate::check::Observations;
use crate::fs::{AddressSpace, Inode};
use crate::mm::{Mm, Pages};
use crate::pmem::Pmem;
use crate::sim::Variant;

#[derive(Debug)]
pub struct Kernel {
    pub variant: Variant,
    /// Whether radix_tree_preload() may be made to fail (a scheduler choice).
    pub inject_enomem: bool,
    /// The DAX file's page cache (`inode->i_mapping`).
    pub mapping: AddressSpace,
    pub inode: Inode,
    pub pmem: Box<dyn Pmem>,
    pub pages: Pages,
    /// One per process; a process's threads share its page tables.
    pub mms: Vec<Mm>,
    pub wait_table: WaitTable,
    pub tasks: Tasks,
    pub obs: Shared<Observations>,
}
