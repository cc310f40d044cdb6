//! The lab: a real Linux kernel in a box. The distribution's kernel package boots under
//! QEMU on emulated persistent memory, with an initramfs built here; the guest makes an ext4
//! or xfs filesystem with 2 MiB-aligned allocation, mounts it with DAX, and runs scenarios
//! with `daxlab lab guest` (this very binary) as real threads doing real loads and stores
//! through a real DAX mapping. The fs_dax and sched events of each run come back on a
//! second serial port; BUG and WARNING lines on the console become the outcome.

mod console;
pub mod guest;
mod initramfs;
mod kernel;
mod qemu;
pub mod report;
mod run;

pub use console::{Capture, Console, KernelProblem, classify_kernel_line, parse_console, split_captures};
pub use initramfs::{Cpio, parse_ldd};
pub use kernel::{KERNEL_METAPACKAGE, Kernel, load_order, module_depends};
pub use qemu::{Accel, kvm_usable};
pub use run::{LabConfig, LabOutcome, LabReport, Phase, run};

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("{what} is not installed: {install}")]
    Missing { what: String, install: String },
    #[error("{what}: {message}")]
    Tool { what: String, message: String },
    #[error("cannot {what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error("the guest failed: {0} (the console is in {1})")]
    Guest(String, PathBuf),
}

impl LabError {
    fn io(what: impl Into<String>, source: std::io::Error) -> LabError {
        LabError::Io { what: what.into(), source }
    }
}

/// The filesystem the guest makes on its pmem.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FsKind {
    Ext4,
    Xfs,
}

impl FsKind {
    pub fn name(self) -> &'static str {
        match self {
            FsKind::Ext4 => "ext4",
            FsKind::Xfs => "xfs",
        }
    }
}

/// How the guest gets persistent memory.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PmemKind {
    /// A RAM range the kernel reserves as pmem (memmap=512M!1G; nd_e820).
    Legacy,
    /// An emulated NVDIMM (ACPI NFIT), made an fsdax namespace with ndctl in the guest.
    Nvdimm,
}

impl PmemKind {
    pub fn name(self) -> &'static str {
        match self {
            PmemKind::Legacy => "legacy",
            PmemKind::Nvdimm => "nvdimm",
        }
    }
}

/// The kprobes the guest asks for: the entry-lock and wait functions of XArray-era
/// fs/dax.c, which have no tracepoints (grab_mapping_entry's first argument is the
/// xa_state, whose second word is the index). A kernel that inlined one refuses its probe; the
/// guest notes that and goes on.
pub const KPROBES: &[&str] = &[
    "p:daxlab/grab_mapping_entry grab_mapping_entry index=+8(%di):x64 order=%dx:u32",
    "r:daxlab/grab_mapping_entry_ret grab_mapping_entry ret=$retval:x64",
    "p:daxlab/get_unlocked_entry get_unlocked_entry",
    "p:daxlab/wait_entry_unlocked wait_entry_unlocked",
    "p:daxlab/dax_wake_entry dax_wake_entry",
    "p:daxlab/dax_unlock_entry dax_unlock_entry",
];
