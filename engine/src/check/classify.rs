//! Every execution ends in exactly one outcome class.

use super::{Invariant, Note};
use crate::fs::ExtentState;
use crate::kernel::{Kernel, WaitOn};
use crate::mm::{PMD_SIZE, PmdSlot};
use crate::sim::{ThreadEnd, Tid};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// What the checks collect while an execution runs.
#[derive(Debug, Default, Clone)]
pub struct Observations {
    pub violation: Option<Invariant>,
    pub notes: BTreeSet<Note>,
    /// File offset → the last value a thread stored there (through a shared mapping, or
    /// with write(2)).
    pub expected: BTreeMap<u64, Stored>,
    /// Numbers the stores, so that a check can tell a value stored again from the same one.
    pub stores: u64,
    /// The first store an fsync returned without making durable.
    pub not_durable: Option<Outcome>,
}

/// One completed 8-byte store the file must now hold.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub value: u64,
    pub by: Tid,
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Ok,
    Bug {
        invariant: Invariant,
    },
    /// No thread could run, some had not finished: who waits on what.
    Hang {
        waiting: Vec<(Tid, WaitOn)>,
    },
    /// A thread's access kept faulting without progress, or the run hit the step limit.
    Livelock {
        tid: Option<Tid>,
    },
    Sigbus {
        tid: Tid,
        addr: u64,
    },
    Oom {
        tid: Tid,
        addr: u64,
    },
    /// A store a thread completed is not what the file (or a mapping of it) holds.
    DataLoss {
        offset: u64,
        expected: u64,
        found: u64,
        by: Tid,
        via: String,
    },
}

impl Outcome {
    pub fn is_failure(&self) -> bool {
        !matches!(self, Outcome::Ok)
    }

    /// The class name outcomes are grouped by.
    pub fn class(&self) -> String {
        match self {
            Outcome::Ok => "ok".into(),
            Outcome::Bug { invariant } => format!("bug({})", invariant.name()),
            Outcome::Hang { waiting } => {
                let kinds: BTreeSet<&str> = waiting
                    .iter()
                    .map(|(_, w)| match w {
                        WaitOn::Spin { .. } => "spin",
                        WaitOn::Rwsem { .. } => "rwsem",
                        WaitOn::Entry { .. } => "entry-lock",
                        WaitOn::Page { .. } => "page-lock",
                    })
                    .collect();
                format!("hang({})", kinds.into_iter().collect::<Vec<_>>().join(","))
            }
            Outcome::Livelock { .. } => "livelock".into(),
            Outcome::Sigbus { .. } => "sigbus".into(),
            Outcome::Oom { .. } => "oom".into(),
            Outcome::DataLoss { .. } => "data-loss".into(),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok => f.write_str("ok"),
            Outcome::Bug { invariant } => write!(f, "bug: {invariant}"),
            Outcome::Hang { waiting } => {
                f.write_str("hang: ")?;
                for (i, (t, w)) in waiting.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "thread {} {w}", t.0)?;
                }
                Ok(())
            }
            Outcome::Livelock { tid: Some(t) } => {
                write!(f, "livelock: thread {} keeps faulting", t.0)
            }
            Outcome::Livelock { tid: None } => f.write_str("livelock: the step limit was reached"),
            Outcome::Sigbus { tid, addr } => write!(f, "SIGBUS to thread {} at {addr:#x}", tid.0),
            Outcome::Oom { tid, addr } => {
                write!(f, "VM_FAULT_OOM for thread {} at {addr:#x}", tid.0)
            }
            Outcome::DataLoss { offset, expected, found, by, via } => write!(
                f,
                "data lost at file offset {offset:#x}: thread {} stored {expected:#x}, {via} shows {found:#x}",
                by.0
            ),
        }
    }
}

/// What the executor reports about how the threads ended.
pub struct RunEnd<'a> {
    pub ends: &'a [Option<ThreadEnd>],
    pub hung: &'a [(Tid, WaitOn)],
    pub step_limit_hit: bool,
}

/// The outcome of a finished execution. Order matters: a fired invariant ended the run at
/// once; otherwise a hang, then a signal; only a run whose threads all exited goes on to
/// the teardown accounting and the data check.
pub fn classify(k: &Kernel, run: RunEnd<'_>) -> Outcome {
    if let Some(invariant) = k.obs.with(|o| o.violation.clone()) {
        return Outcome::Bug { invariant };
    }
    if !run.hung.is_empty() {
        return Outcome::Hang { waiting: run.hung.to_vec() };
    }
    if run.step_limit_hit {
        return Outcome::Livelock { tid: None };
    }
    for (i, end) in run.ends.iter().enumerate() {
        let tid = Tid(i as u8);
        match end {
            Some(ThreadEnd::Sigbus { addr }) => return Outcome::Sigbus { tid, addr: *addr },
            Some(ThreadEnd::Oom { addr }) => return Outcome::Oom { tid, addr: *addr },
            Some(ThreadEnd::Livelock { .. }) => return Outcome::Livelock { tid: Some(tid) },
            _ => {}
        }
    }
    if let Some(loss) = k.obs.with(|o| o.not_durable.clone()) {
        return loss;
    }
    if let Some(loss) = check_data(k) {
        return loss;
    }
    for mm in &k.mms {
        let t = mm.teardown();
        if t.nr_ptes != 0 {
            return Outcome::Bug { invariant: Invariant::NrPtesLeak { mm: mm.id, nr_ptes: t.nr_ptes } };
        }
        for (idx, &val) in t.rss.iter().enumerate() {
            if val != 0 {
                return Outcome::Bug { invariant: Invariant::RssCounter { mm: mm.id, idx: idx as u8, val } };
            }
        }
    }
    Outcome::Ok
}

/// Every completed store must be in the file, and every mapping still present must show
/// it (holetest's verification reads through the mapping).
fn check_data(k: &Kernel) -> Option<Outcome> {
    let expected = k.obs.with(|o| o.expected.clone());
    for (&offset, &Stored { value, by, .. }) in &expected {
        let in_file = read_file_u64(k, offset);
        if in_file != value {
            return Some(Outcome::DataLoss { offset, expected: value, found: in_file, by, via: "the file".into() });
        }
        for mm in &k.mms {
            for vma in mm.vmas.iter().filter(|v| v.shared) {
                let Some(addr) = vma.address_of(offset >> 12).map(|a| a + (offset & 0xfff)) else {
                    continue;
                };
                if let Some(seen) = read_mapped_u64(k, mm, addr)
                    && seen != value
                {
                    return Some(Outcome::DataLoss {
                        offset,
                        expected: value,
                        found: seen,
                        by,
                        via: format!("the mapping in process {}", mm.id),
                    });
                }
            }
        }
    }
    None
}

fn read_file_u64(k: &Kernel, offset: u64) -> u64 {
    device_offset(k, offset).map_or(0, |dev| k.pmem.read_u64(dev))
}

/// Where a file offset lives on pmem, if it is written data.
pub(super) fn device_offset(k: &Kernel, offset: u64) -> Option<u64> {
    match k.inode.extents.with(|e| e.find(offset >> 12)) {
        Some(e) if e.state == ExtentState::Written => {
            let pblk = e.pblk + (offset >> 12) - e.fblk;
            Some((pblk << 12) | (offset & 0xfff))
        }
        _ => None,
    }
}

fn read_mapped_u64(k: &Kernel, mm: &crate::mm::Mm, addr: u64) -> Option<u64> {
    let phys = mm.pt.with(|pt| match pt.slot(addr)? {
        PmdSlot::HugeDevmap { pfn, .. } => Some((pfn << 12) + (addr & (PMD_SIZE - 1))),
        PmdSlot::HugeZero { .. } => Some(u64::MAX),
        PmdSlot::Table { .. } => pt.pte(addr).map(|p| (p.pfn << 12) + (addr & 0xfff)),
    })?;
    if phys == u64::MAX {
        return Some(0);
    }
    let pfn = phys >> 12;
    let mut b = [0u8; 8];
    if crate::pmem::is_pmem_pfn(pfn) {
        k.pmem.read(crate::pmem::pmem_offset(phys), &mut b);
    } else if let Some(page) = crate::mm::Pages::page_of_pfn(pfn) {
        k.pages.read(page, (phys & 0xfff) as usize, &mut b);
    }
    Some(u64::from_le_bytes(b))
}
