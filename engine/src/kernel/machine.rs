//! The whole emulated machine one execution runs on: the kernel it runs (a release and
//! its fixes) and every subsystem's state. `cx.k` is this machine.

use super::{Shared, Tasks, WaitTable};
use crate::check::{Observations, OnWarn};
use crate::fs::{AddressSpace, Inode};
use crate::mm::{DevPages, Mm, Pages};
use crate::pmem::Pmem;
use crate::release::{Era, Fix, Kernel};

#[derive(Debug)]
pub struct Machine {
    /// Which kernel's code runs: the model asks `cx.k.has(Fix::…)` where a fix changed it.
    pub kernel: Kernel,
    /// What a WARN does: end the run, or record it and let the kernel carry on.
    pub on_warn: OnWarn,
    /// Whether radix_tree_preload() may be made to fail (a scheduler choice).
    pub inject_enomem: bool,
    /// The DAX file's page cache (`inode->i_mapping`).
    pub mapping: AddressSpace,
    pub inode: Inode,
    pub pmem: Box<dyn Pmem>,
    pub pages: Pages,
    /// struct pages of pmem (page->mapping, ->index, the refcount DMA pins raise).
    pub dev_pages: DevPages,
    /// One per process; a process's threads share its page tables.
    pub mms: Vec<Mm>,
    pub wait_table: WaitTable,
    pub tasks: Tasks,
    pub obs: Shared<Observations>,
}

impl Machine {
    /// Whether the kernel running has `fix`: one bit test, asked at every branch a fix made.
    #[inline]
    pub fn has(&self, fix: Fix) -> bool {
        self.kernel.has(fix)
    }

    /// Which fs/dax.c the kernel has: the entry points pick the model by it.
    #[inline]
    pub fn era(&self) -> Era {
        self.kernel.release.era()
    }
}
