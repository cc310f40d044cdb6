//! The end of an execution: judge the machine the threads left behind. A fired invariant,
//! a hang or a signal decides at once; otherwise the teardown accounting (check_mm()'s
//! counters) and the data check read the file and every mapping back, as holetest does.
//! This reads every room of the machine, so it sits above the kernel model, beside the
//! run that calls it.

use crate::check::{Invariant, Outcome, Stored};
use crate::kernel::{Machine, WaitOn};
use crate::mm::{Mm, PMD_SIZE, Pages, PmdSlot};
use crate::pmem::{is_pmem_pfn, pmem_offset};
use crate::sim::{ThreadEnd, Tid};

/// What the executor reports about how the threads ended.
pub struct RunEnd<'a> {
    pub ends: &'a [Option<ThreadEnd>],
    pub hung: &'a [(Tid, WaitOn)],
    pub step_limit_hit: bool,
}

/// The outcome of a finished execution: how it ended, after the WARNs it went on past if
/// there were any.
pub fn classify(k: &Machine, run: RunEnd<'_>) -> Outcome {
    Outcome::warned(k.obs.with(|o| o.warns.clone()), ending(k, run))
}

/// How the run ended. Order matters: a fired invariant ended the run at once; otherwise a
/// hang, then a signal; only a run whose threads all exited goes on to the teardown
/// accounting and the data check.
fn ending(k: &Machine, run: RunEnd<'_>) -> Outcome {
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
fn check_data(k: &Machine) -> Option<Outcome> {
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

fn read_file_u64(k: &Machine, offset: u64) -> u64 {
    k.inode.device_offset(offset).map_or(0, |dev| k.pmem.read_u64(dev))
}

fn read_mapped_u64(k: &Machine, mm: &Mm, addr: u64) -> Option<u64> {
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
    if is_pmem_pfn(pfn) {
        k.pmem.read(pmem_offset(phys), &mut b);
    } else if let Some(page) = Pages::page_of_pfn(pfn) {
        k.pages.read(page, (phys & 0xfff) as usize, &mut b);
    }
    Some(u64::from_le_bytes(b))
}
