//! Turning a scenario into a machine: the file, its pre-allocated extents, the processes'
//! mappings.

use super::{PreloadPool, Scenario, Thp};
use crate::check::Observations;
use crate::fs::{AddressSpace, Allocator, Extent, Inode};
use crate::kernel::{Machine, Shared, Tasks, WaitTable};
use crate::mm::{DevPages, Mm, PAGE_SHIFT, Pages, Vma};
use crate::pmem::{Declared, Pmem, RamPmem};
use crate::radix::RADIX_TREE_PRELOAD_SIZE;
use crate::release::Kernel;
use crate::xarray::XaFixes;

impl Scenario {
    /// Bytes of pmem a machine for this scenario uses at most: room for every block twice
    /// over plus alignment padding.
    pub fn pmem_capacity(&self) -> u64 {
        ((self.size() >> PAGE_SHIFT) * 2 + 2048) << PAGE_SHIFT
    }

    /// A fresh machine in the state the scenario describes, before any thread runs, over
    /// sparse RAM pmem.
    pub fn build(&self, kernel: Kernel) -> Machine {
        self.build_on(kernel, Box::new(RamPmem::new(self.pmem_capacity())))
    }

    /// [`Scenario::build`] over the given pmem, which should hold [`Scenario::pmem_capacity`]
    /// bytes (a smaller one makes allocations fail with -ENOSPC sooner). Whatever it holds
    /// already does not matter: the filesystem zeroes blocks as it allocates them.
    pub fn build_on(&self, kernel: Kernel, pmem: Box<dyn Pmem>) -> Machine {
        let capacity = (self.pmem_capacity() >> PAGE_SHIFT).min(pmem.size() >> PAGE_SHIFT);
        let inode = Inode::new(0x2c, self.size(), Allocator::new(self.file.allocator, capacity));
        for e in &self.file.extents {
            let e = e.get_ref();
            let (fblk, nblk) = (e.offset.0 >> PAGE_SHIFT, e.length.0 >> PAGE_SHIFT);
            let mut b = fblk;
            while b < fblk + nblk {
                // Allocate 2 MiB at a time so that aligned extents get aligned blocks.
                let chunk = (512 - b % 512).min(fblk + nblk - b);
                let pblk = inode.alloc.with(|a| a.alloc(b, chunk)).expect("capacity covers the file twice");
                inode.extents.with(|x| x.insert(Extent { fblk: b, len: chunk, pblk, state: e.state }));
                b += chunk;
            }
        }
        let mms = self
            .processes
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let base = self.map_base(p);
                let m = p.mapping();
                let vma = Vma {
                    vm_start: base,
                    vm_end: base + self.map_length(p),
                    vm_pgoff: m.offset.0 >> PAGE_SHIFT,
                    shared: m.shared,
                    thp: self.thp == Thp::Always,
                };
                Mm::new(i as u8, vec![vma])
            })
            .collect();
        Machine {
            kernel,
            on_warn: self.on_warn,
            inject_enomem: self.inject_enomem,
            // The xas_pause() fix of XaFixes is in v6.14, after every release the model has.
            mapping: AddressSpace::with_xa_fixes(XaFixes::NONE),
            inode,
            // Every pmem access a step makes is declared, whatever the backend.
            pmem: Box::new(Declared(pmem)),
            pages: Pages::default(),
            dev_pages: DevPages::default(),
            mms,
            wait_table: WaitTable::default(),
            tasks: Tasks::new(
                self.threads().count(),
                if self.preload_pool == PreloadPool::Warm { RADIX_TREE_PRELOAD_SIZE } else { 0 },
            ),
            obs: Shared::new(Observations::default()),
        }
    }
}
