//! The cost of recording a real-thread run: one generic/340 race (holetest on a hole,
//! fixed kernel) run alternately with recording off and on, many times, reporting the
//! fastest and the median of each. Alternating and taking the minimum keeps the ratio
//! honest on a machine that is busy with other work.
//!
//! cargo run --release -p daxlab --example recording_overhead

use daxlab::Kernel;
use daxlab::scenario::{Holetest, HoletestFile};
use daxlab::stress::{RealConfig, run_real};

fn main() {
    for threads in [1u32, 2] {
        for (size_mib, rounds) in [(16u64, 40), (256, 10)] {
            let ht = Holetest { size: size_mib << 20, file: HoletestFile::Ftruncate, threads, fork: false };
            let sc = ht.scenario().expect("holetest is valid");
            let mut secs: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
            for round in 0..rounds {
                for record in [round % 2 == 0, round % 2 == 1] {
                    let k = sc.build(Kernel::FIXED);
                    let run = run_real(&sc, &k, &RealConfig::new(record));
                    secs[usize::from(record)].push(run.elapsed.as_secs_f64());
                }
            }
            for s in &mut secs {
                s.sort_by(f64::total_cmp);
            }
            let (off, on) = (&secs[0], &secs[1]);
            let median = |v: &[f64]| v[v.len() / 2];
            println!(
                "{threads} thread(s), {size_mib} MiB: off {:.1} / {:.1} ms, on {:.1} / {:.1} ms (fastest / median): ratio {:.2} / {:.2}",
                off[0] * 1e3,
                median(off) * 1e3,
                on[0] * 1e3,
                median(on) * 1e3,
                on[0] / off[0],
                median(on) / median(off)
            );
        }
    }
}
