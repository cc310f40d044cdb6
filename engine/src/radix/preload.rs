//! radix_tree_preload(): fill this CPU's pool of nodes so that an insert made later under
//! tree_lock (an atomic context) cannot fail for lack of memory. It returns with
//! preemption disabled; the caller re-enables it with radix_tree_preload_end().

use crate::check::Note;
use crate::kernel::Errno;
use crate::sim::{Choice, Cx};
use crate::trace::EventKind;
use std::future::Future;
use std::panic::Location;

/// RADIX_TREE_MAX_PATH * 2 - 1, with MAX_PATH = ceil(64 / RADIX_TREE_MAP_SHIFT) = 11.
pub const RADIX_TREE_PRELOAD_SIZE: u32 = 21;

impl Cx<'_> {
    /// May sleep in the allocator (a scheduling point); fails with -ENOMEM only when the
    /// run injects allocation failures and the scheduler chooses to.
    #[track_caller]
    pub fn radix_tree_preload<'a>(&'a self) -> impl Future<Output = Result<(), Errno>> + 'a {
        let at = Location::caller();
        async move {
            // The allocation may enter reclaim.
            self.might_sleep(at);
            self.sched(at).await;
            if self.k.inject_enomem && self.choose(Choice::PreloadEnomem, 2) == 1 {
                self.emit(at, || EventKind::Preload { ok: false, pool: self.k.tasks.get(self.tid).preload_nr });
                self.note(Note::Enomem);
                return Err(Errno::Enomem);
            }
            let pool = self.k.tasks.with(self.tid, |t| {
                t.preload_nr = RADIX_TREE_PRELOAD_SIZE;
                t.preempt_count += 1;
                t.preload_nr
            });
            self.emit(at, || EventKind::Preload { ok: true, pool });
            Ok(())
        }
    }

    /// Re-enables preemption. Touches only this CPU's state: no scheduling point.
    #[track_caller]
    pub fn radix_tree_preload_end(&self) {
        let at = Location::caller();
        self.k.tasks.with(self.tid, |t| t.preempt_count = t.preempt_count.saturating_sub(1));
        self.emit(at, || EventKind::PreloadEnd);
    }
}
