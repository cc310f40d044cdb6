use daxlab::stress::StepLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
fn main() {
    let l = StepLock::default();
    let last = AtomicU64::new(9);
    let switches = AtomicU64::new(0);
    let t = Instant::now();
    std::thread::scope(|s| {
        for id in 0..2u64 {
            let (l, last, switches) = (&l, &last, &switches);
            s.spawn(move || { for _ in 0..2_000_000 { l.lock(); if last.swap(id, Ordering::Relaxed) != id { switches.fetch_add(1, Ordering::Relaxed); } l.unlock(); } });
        }
    });
    println!("4M lock/unlock in {:?} ({:.0} ns each), {} switches", t.elapsed(), t.elapsed().as_nanos() as f64 / 4e6, switches.load(Ordering::Relaxed));
}
