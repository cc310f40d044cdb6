//! The step lock: makes each step of the model atomic.
//!
//! Fairness matters, and so does the machine being busy. A plain spin lock is unfair: the
//! thread that just released it takes it straight back (its cache line is hot), so one
//! thread would run thousands of steps alone and the threads would hardly ever meet in the
//! fault path. A FIFO ticket lock is fair but stalls whenever the thread holding the next
//! ticket is not on a CPU, which on a loaded machine is most of the time. So: a spin lock
//! whose holder, when it gives the lock up between two of its steps, waits a moment for a
//! thread that is already waiting to take it — a thread spinning on another CPU takes it
//! within a cache miss, and two such threads then alternate step by step as two CPUs
//! running at the same speed would; a waiter that is not running does not hold anyone up.

use crossbeam_utils::CachePadded;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Spins before a waiter yields its CPU (a few microseconds).
const SPIN_LIMIT: u32 = 1 << 10;
/// How long a releasing thread leaves a waiter to take the lock.
const HANDOFF_WAIT: Duration = Duration::from_micros(20);

#[derive(Debug, Default)]
pub struct StepLock {
    locked: CachePadded<AtomicBool>,
    /// Threads inside lock().
    waiting: CachePadded<AtomicU32>,
    /// Acquisitions so far: tells a releasing thread that someone else took the lock.
    taken: CachePadded<AtomicU64>,
}

impl StepLock {
    pub fn lock(&self) {
        self.waiting.fetch_add(1, Ordering::AcqRel);
        let mut spins = 0u32;
        loop {
            if !self.locked.load(Ordering::Relaxed)
                && self.locked.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok()
            {
                break;
            }
            if spins < SPIN_LIMIT {
                spins += 1;
                std::hint::spin_loop();
            } else {
                // With more threads than CPUs the holder may need this one to run.
                std::thread::yield_now();
            }
        }
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        self.taken.fetch_add(1, Ordering::Relaxed);
    }

    /// Only the holder may call this. Returns a token for [`StepLock::lock_after`].
    pub fn unlock(&self) -> u64 {
        let token = self.taken.load(Ordering::Relaxed);
        self.locked.store(false, Ordering::Release);
        token
    }

    /// Takes the lock again after `unlock` returned `token`, first leaving a thread that
    /// was already waiting a moment to take it.
    pub fn lock_after(&self, token: u64) {
        if self.waiting.load(Ordering::Acquire) > 0 {
            let until = Instant::now() + HANDOFF_WAIT;
            let mut n = 0u32;
            while self.taken.load(Ordering::Relaxed) == token && self.waiting.load(Ordering::Acquire) > 0 {
                std::hint::spin_loop();
                n += 1;
                if n.is_multiple_of(64) && Instant::now() >= until {
                    break;
                }
            }
        }
        self.lock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excludes() {
        let lock = StepLock::default();
        let inside = AtomicU32::new(0);
        let total = AtomicU32::new(0);
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    let mut token = None;
                    for _ in 0..2000 {
                        match token {
                            Some(t) => lock.lock_after(t),
                            None => lock.lock(),
                        }
                        assert_eq!(inside.fetch_add(1, Ordering::Relaxed), 0);
                        total.fetch_add(1, Ordering::Relaxed);
                        inside.fetch_sub(1, Ordering::Relaxed);
                        token = Some(lock.unlock());
                    }
                });
            }
        });
        assert_eq!(total.load(Ordering::Relaxed), 6000);
    }
}
