use daxlab::Variant;
use daxlab::scenario::{Holetest, HoletestFile};
use daxlab::stress::{RealConfig, run_real};
fn main() {
    for _ in 0..5 {
        let sc = Holetest { size: 16 << 20, file: HoletestFile::Ftruncate, threads: 2, fork: false }.scenario().unwrap();
        let k = sc.build(Variant::Unfixed);
        let r = run_real(&sc, &k, &RealConfig::new(true));
        let longest = r.runs.iter().map(|x| x.1).max().unwrap();
        println!("{} steps in {:?}, {} runs, longest {}, first runs {:?}, outcome {}", r.steps, r.elapsed, r.runs.len(), longest, &r.runs[..8.min(r.runs.len())], r.classify(&k));
    }
}
