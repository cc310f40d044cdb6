//! A lock-protected cell for emulated kernel state.
//!
//! Emulated kernel locks (`tree_lock`, entry locks, page-table locks) are modelled
//! explicitly and are what the scheduler sees. `Shared` is only Rust's memory-safety wrapper
//! around the data those locks protect: every access is a short, synchronous critical
//! section that never spans a scheduling point, so it is never contended in deterministic
//! mode and the model stays `Sync` for runs on real threads.

use std::sync::{Mutex, MutexGuard};

#[derive(Debug, Default)]
pub struct Shared<T>(Mutex<T>);

impl<T> Shared<T> {
    pub fn new(value: T) -> Self {
        Shared(Mutex::new(value))
    }

    /// Runs `f` with exclusive access. A panic inside an earlier access cannot leave the
    /// model half-updated in a way later readers could observe, so poisoning is ignored.
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.guard())
    }

    pub fn guard(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T: Clone> Shared<T> {
    pub fn snapshot(&self) -> T {
        self.guard().clone()
    }
}
