//! Property tests over hostile inputs (stable Rust, seconds): generated scenarios are
//! refused with an error or run; mutated traces are refused with an error or shown; nothing
//! panics. The cargo-fuzz targets in engine/fuzz push the same generators much further.

#[path = "support/hostile.rs"]
mod hostile;

use daxlab::Scenario;
use daxlab::scenario::ScenarioError;
use daxlab::trace::Trace;
use hostile::{Seeded, mutate_binary, mutate_json, run_scenario, scenario_toml, show, small_enough};
use proptest::prelude::*;
use std::path::Path;

fn golden(name: &str) -> Trace {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces").join(name);
    Trace::load(&path).expect("a checked-in trace")
}

/// A small witness to mutate (cheap to replay) and a longer one with waits and wake-ups.
const TRACES: [&str; 2] = [
    "seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace",
    "hole-read-then-write.fixed.bug-hole-page-over-wrong-entry.daxtrace",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn generated_scenarios_are_refused_clearly_or_run(seed in any::<u64>()) {
        let text = scenario_toml(&mut Seeded(seed));
        match Scenario::from_toml(&text, "generated.toml") {
            Ok(sc) => {
                if small_enough(&sc) {
                    run_scenario(&sc, seed);
                }
            }
            Err(ScenarioError::Invalid { origin, field, line, .. }) => {
                prop_assert_eq!(origin, "generated.toml");
                prop_assert!(!field.is_empty() && line >= 1 && line <= text.lines().count().max(1));
            }
            Err(e) => prop_assert!(e.to_string().starts_with("generated.toml"), "{}", e),
        }
    }

    #[test]
    fn mutated_traces_are_refused_or_shown(seed in any::<u64>(), which in 0..TRACES.len(), binary in any::<bool>()) {
        let t = golden(TRACES[which]);
        let mut e = Seeded(seed);
        let bytes = if binary {
            mutate_binary(&t, &mut e)
        } else {
            let mut doc: serde_json::Value = serde_json::from_slice(&t.encode_json()).expect("JSON");
            for _ in 0..1 + seed % 3 {
                mutate_json(&mut doc, &mut e);
            }
            serde_json::to_vec(&doc).expect("bytes")
        };
        match Trace::decode(&bytes, "mutated") {
            Ok(m) => show(&m),
            Err(err) => prop_assert!(err.to_string().starts_with("mutated"), "{}", err),
        }
    }
}
