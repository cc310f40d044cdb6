//! The step lock: a FIFO ticket spin lock that makes each step of the model atomic.
//!
//! FIFO matters. With an unfair lock the thread that just released it takes it straight
//! back (its cache line is hot), so one thread would run thousands of steps alone and the
//! threads would hardly ever meet in the fault path. A ticket lock hands the next step to
//! whoever asked first, which interleaves threads that run at the same speed step by step,
//! as two CPUs would.

use crossbeam_utils::CachePadded;
use std::sync::atomic::{AtomicU64, Ordering};

/// A few microseconds of spinning.
const SPIN_LIMIT: u32 = 1 << 10;

#[derive(Debug, Default)]
pub struct StepLock {
    next: CachePadded<AtomicU64>,
    serving: CachePadded<AtomicU64>,
}

impl StepLock {
    pub fn lock(&self) {
        let ticket = self.next.fetch_add(1, Ordering::Relaxed);
        let mut spins = 0u32;
        while self.serving.load(Ordering::Acquire) != ticket {
            // A step takes a few microseconds: spinning that long is far cheaper than a
            // trip through the OS scheduler. Past that, yield the CPU: with more threads
            // than CPUs the holder of the next ticket may need this one to run.
            if spins < SPIN_LIMIT {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }

    /// Only the holder may call this.
    pub fn unlock(&self) {
        self.serving.fetch_add(1, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    #[test]
    fn excludes() {
        let lock = StepLock::default();
        let inside = AtomicU32::new(0);
        let total = AtomicU32::new(0);
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    for _ in 0..2000 {
                        lock.lock();
                        assert_eq!(inside.fetch_add(1, Ordering::Relaxed), 0);
                        total.fetch_add(1, Ordering::Relaxed);
                        inside.fetch_sub(1, Ordering::Relaxed);
                        lock.unlock();
                    }
                });
            }
        });
        assert_eq!(total.load(Ordering::Relaxed), 6000);
    }
}
