//! The filesystem's operations on the context: ->iomap_begin / ->iomap_end, and the
//! entry and exit of a system call into the filesystem.

use super::{IOMAP_WRITE, IomapDesc};
use crate::kernel::Errno;
use crate::sim::Cx;
use crate::trace::{EventKind, Syscall};
use std::future::Future;
use std::panic::Location;

/// ->iomap_begin() / ->iomap_end() (fs/iomap.c's iomap_ops, as ext4 and xfs implement them).
impl Cx<'_> {
    /// ->iomap_begin(inode, pos, length, flags). A write allocates every hole in the range
    /// and converts unwritten blocks, zeroing them (a DAX filesystem must: the blocks are
    /// mapped straight into user space). The filesystem serialises allocation internally,
    /// so the whole call is one step.
    #[track_caller]
    pub fn iomap_begin<'a>(
        &'a self,
        pos: u64,
        length: u64,
        flags: u32,
    ) -> impl Future<Output = Result<IomapDesc, Errno>> + 'a {
        let at = Location::caller();
        async move {
            self.sched(at).await;
            let write = flags & IOMAP_WRITE != 0;
            let r = self.k.inode.map_blocks(&*self.k.pmem, pos, length, write);
            self.emit(at, || EventKind::IomapBegin { pos, len: length, write, result: r });
            r
        }
    }

    /// ->iomap_end(): nothing to undo for a fault in this filesystem, but the event marks
    /// where the fault let go of the extent and how much it used.
    #[track_caller]
    pub fn iomap_end(&self, pos: u64, length: u64, copied: u64) {
        let at = Location::caller();
        self.emit(at, || EventKind::IomapEnd { pos, len: length, copied });
    }
}

/// A system call's entry into and exit from the filesystem (read, write, fsync, truncate,
/// fallocate).
impl Cx<'_> {
    /// A system call enters the filesystem: a scheduling point of its own, so that who
    /// enters first is a choice.
    pub(crate) async fn syscall_enter(&self, at: &'static Location<'static>, call: Syscall, offset: u64, len: u64) {
        self.sched(at).await;
        // Entering touches nothing shared; what the call does next declares itself.
        crate::footprint::nothing();
        self.emit(at, || EventKind::SyscallEnter { call, offset, len });
    }

    pub(crate) fn syscall_exit(
        &self,
        at: &'static Location<'static>,
        call: Syscall,
        ret: Result<u64, Errno>,
    ) -> Result<u64, Errno> {
        let code = match ret {
            Ok(n) => n as i64,
            Err(e) => -i64::from(e.number()),
        };
        self.emit(at, || EventKind::SyscallExit { call, ret: code });
        ret
    }
}
