//! After a race: holetest's own check through the mapping, then daxlab's data-integrity
//! checks — fsync, every marker read back through dax_iomap_rw (read(2)), and, with a
//! file-mapped backend, the file opened again holding every marker the fsync covered.
//!
//! The main thread's part runs in the deterministic executor on the machine the race left
//! behind: it is single-threaded, like holetest's main() after pthread_join().

use crate::dax::IovIter;
use crate::fs::daxfs_fsync;
use crate::fs::daxfs_read_iter;
use crate::kernel::Machine;
use crate::mm::{Access, Mm, PMD_SIZE, user_access};
use crate::pmem::FilePmem;
use crate::scenario::Holetest;
use crate::sim::{Cx, DefaultScheduler, SimRuntime, ThreadEnd, ThreadSpawn, Tid};
use std::cell::RefCell;

/// What the checks found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verification {
    /// holetest's "ERROR: thread N, offset ..." lines (all of them).
    pub error_lines: Vec<String>,
    /// Markers checked through the mapping.
    pub checked: u64,
    /// Data-integrity problems beyond holetest's own check, one line each.
    pub problems: Vec<String>,
}

/// Verifies the markers `ht`'s workers stored, through `mm`'s mapping and the file.
pub fn verify(k: &Machine, mm: &Mm, ht: &Holetest, file: Option<&FilePmem>) -> Verification {
    let found = RefCell::new(Verification::default());
    let mut sched = DefaultScheduler;
    let rt = SimRuntime::new(&mut sched, false);
    {
        let (rt, found) = (&rt, &found);
        let future = Box::pin(async move {
            // The main thread is no emulated thread of its own: it borrows thread 0's
            // per-task state, idle since the race ended.
            let cx = Cx::new(k, Tid(0), rt);
            through_mapping(&cx, mm, ht, found).await;
            if let Err(e) = daxfs_fsync(&cx).await {
                found.borrow_mut().problems.push(format!("fsync failed with {e}"));
            }
            through_read(&cx, ht, found).await;
            ThreadEnd::Exited
        });
        rt.run(vec![ThreadSpawn { future, phase: 0 }], u32::MAX);
    }
    let mut v = found.into_inner();
    if let Some(loss) = k.obs.with(|o| o.not_durable.clone()) {
        v.problems.push(format!("fsync returned but {loss}"));
    }
    if let Some(f) = file {
        reopened(k, f, &mut v);
    }
    v
}

/// holetest's verify_mapping(): each worker's id at its offset of every page.
async fn through_mapping(cx: &Cx<'_>, mm: &Mm, ht: &Holetest, found: &RefCell<Verification>) {
    let vma = &mm.vmas[0];
    for page in 0..ht.size / 4096 {
        let base = vma.address_of(page).expect("the mapping covers the file");
        for i in 0..ht.threads {
            let (offset, want) = (ht.offset(i), ht.id(i));
            let got = user_access(cx, mm, base + offset, Access::Load).await;
            let mut f = found.borrow_mut();
            f.checked += 1;
            match got {
                Ok(v) if v == want => {}
                Ok(v) => f
                    .error_lines
                    .push(format!("ERROR: thread {i}, offset {:08x}, {v:08x} != {want:08x}", page * 4096 + offset)),
                Err(end) => f.problems.push(format!("the verifying load at {:#x} ended with {end:?}", base + offset)),
            }
        }
    }
}

/// Every marker again, through read(2) → dax_iomap_rw(), 2 MiB at a time.
async fn through_read(cx: &Cx<'_>, ht: &Holetest, found: &RefCell<Verification>) {
    let mut pos = 0;
    while pos < ht.size {
        let len = PMD_SIZE.min(ht.size - pos);
        let mut iter = IovIter::read(len as usize);
        match daxfs_read_iter(cx, pos, &mut iter).await {
            Ok(n) if n == len => check_chunk(ht, pos, &iter.buf, found),
            other => found.borrow_mut().problems.push(format!("read of {len:#x} bytes at {pos:#x} returned {other:?}")),
        }
        pos += len;
    }
}

fn check_chunk(ht: &Holetest, pos: u64, buf: &[u8], found: &RefCell<Verification>) {
    for page_start in (0..buf.len()).step_by(4096) {
        for i in 0..ht.threads {
            let at = page_start + ht.offset(i) as usize;
            let got = u64::from_le_bytes(buf[at..at + 8].try_into().expect("8 bytes"));
            if got != ht.id(i) {
                found.borrow_mut().problems.push(format!(
                    "read(2) at file offset {:#x} returns {got:#x}, not thread {i}'s marker {:#x}",
                    pos + at as u64,
                    ht.id(i)
                ));
            }
        }
    }
}

/// After the fsync, every stored value must be in the file as another process opening it
/// now would see it.
fn reopened(k: &Machine, f: &FilePmem, v: &mut Verification) {
    let file = match f.reopen() {
        Ok(file) => file,
        Err(e) => {
            v.problems.push(format!("cannot open {} again: {e}", f.path().display()));
            return;
        }
    };
    let expected = k.obs.with(|o| o.expected.clone());
    for (offset, stored) in expected {
        let Some(dev) = k.inode.device_offset(offset) else {
            v.problems.push(format!("file offset {offset:#x} has no written block after fsync"));
            continue;
        };
        match file.read_u64(dev) {
            Ok(got) if got == stored.value => {}
            Ok(got) => v.problems.push(format!(
                "{} reopened after fsync holds {got:#x} at device offset {dev:#x} (file offset {offset:#x}), not {:#x} from thread {}",
                f.path().display(),
                stored.value,
                stored.by.0
            )),
            Err(e) => v.problems.push(format!("reading {} again at {dev:#x}: {e}", f.path().display())),
        }
    }
}
