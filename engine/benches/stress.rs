//! Real-thread runs of one generic/340 race (holetest, 16 MiB hole, fixed kernel): steps
//! per second with one and two threads, and with recording off and on. The recording
//! overhead is the ratio of the two "2 threads" timings.
//!
//! cargo bench -p daxlab --bench stress

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use daxlab::Kernel;
use daxlab::scenario::{Holetest, HoletestFile};
use daxlab::stress::{RealConfig, run_real};
use std::hint::black_box;

fn race(c: &mut Criterion) {
    let mut g = c.benchmark_group("real race, 16 MiB ftruncate");
    g.sample_size(20);
    for threads in [1u32, 2] {
        let sc = Holetest { size: 16 << 20, file: HoletestFile::Ftruncate, threads, fork: false }.scenario().unwrap();
        // Every step of a thread is one page store or one step of a fault.
        g.throughput(Throughput::Elements(u64::from(threads) * 4096));
        for record in [false, true] {
            let name = format!(
                "{threads} thread{}, recording {}",
                if threads == 1 { "" } else { "s" },
                if record { "on" } else { "off" }
            );
            g.bench_function(name, |b| {
                b.iter(|| {
                    let k = sc.build(Kernel::FIXED);
                    black_box(run_real(&sc, &k, &RealConfig::new(record)).steps)
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, race);
criterion_main!(benches);
