use daxlab::Variant;
use daxlab::scenario::{Holetest, HoletestFile};
use daxlab::sim::{RandomScheduler, RunConfig, execute};
use daxlab::stress::{RealConfig, run_real};
use std::time::Instant;
fn main() {
    let sc = Holetest { size: 256 << 20, file: HoletestFile::Ftruncate, threads: 2, fork: false }.scenario().unwrap();
    let t = Instant::now();
    let ex = execute(&sc, &RunConfig { record: false, ..RunConfig::new(Variant::Fixed) }, &mut RandomScheduler::new(1));
    println!("sim: {} steps in {:?} -> {:.2} M/s", ex.steps, t.elapsed(), ex.steps as f64 / t.elapsed().as_secs_f64() / 1e6);
    if std::env::args().nth(1).is_some() { return; }
    for threads in [1, 2] {
        let sc = Holetest { size: 256 << 20, file: HoletestFile::Ftruncate, threads, fork: false }.scenario().unwrap();
        let k = sc.build(Variant::Fixed);
        let r = run_real(&sc, &k, &RealConfig::new(false));
        println!("real {threads}: {} steps in {:?} -> {:.2} M/s", r.steps, r.elapsed, r.steps as f64 / r.elapsed.as_secs_f64() / 1e6);
    }
}
