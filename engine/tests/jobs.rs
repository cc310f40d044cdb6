//! Exhaustive search on several worker threads: the report (table, witnesses, counts,
//! Mazurkiewicz traces, the JSON) is the same whatever the number of workers, and the same
//! as the search run as one piece (a search capped by `max_executions` is never split),
//! with and without reduction, with injected allocation failures too. Only the elapsed
//! time may differ.

use daxlab::Kernel;
use daxlab::explore::{ExploreConfig, Reduction, explore};
use daxlab::scenario::builtin;

fn report_json(sc: &daxlab::Scenario, cfg: &ExploreConfig) -> serde_json::Value {
    let mut json = serde_json::to_value(explore(sc, cfg, &mut |_| {})).expect("a report serialises");
    json.as_object_mut().expect("a report is an object").remove("elapsed");
    json
}

#[test]
fn the_report_does_not_depend_on_the_number_of_workers() {
    let cases = [("seed-race", 2, false), ("holetest-mini", 1, true), ("holetest-3", 1, false)];
    for (name, bound, inject) in cases {
        let mut sc = builtin(name).unwrap().unwrap();
        sc.inject_enomem = inject;
        for kernel in [Kernel::UNFIXED, Kernel::FIXED] {
            for reduction in [Reduction::None, Reduction::Dpor] {
                let cfg = ExploreConfig { reduction, count_traces: true, ..ExploreConfig::exhaustive(kernel, bound) };
                let whole = report_json(&sc, &ExploreConfig { max_executions: Some(u64::MAX), jobs: 1, ..cfg.clone() });
                for jobs in [1, 2, 3] {
                    let split = report_json(&sc, &ExploreConfig { jobs, ..cfg.clone() });
                    assert_eq!(split, whole, "{name} ({kernel}), bound {bound}, {reduction:?}, {jobs} jobs");
                }
            }
        }
    }
}
