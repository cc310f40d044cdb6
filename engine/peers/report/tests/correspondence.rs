//! The port and daxlab's model make the same operations: on the serial execution (T1 runs
//! its whole fault, then T2 finds the huge PMD and stores), the port's operations equal
//! daxlab's scheduling steps. If daxlab's model gets finer or coarser steps, this fails, and
//! the port (engine/peers/seed/port.rs) must follow before the peer table is fair again.

use daxlab::Kernel;
use daxlab::explore::{ExploreConfig, explore};

#[test]
fn serial_execution_has_as_many_port_operations_as_daxlab_steps() {
    let sc = daxlab::scenario::builtin("seed-race").expect("built-in").expect("loads");
    let report = explore(&sc, &ExploreConfig::exhaustive(Kernel::FIXED, 0), &mut |_| {});
    // Bound 0 leaves two executions, T1 first or T2 first; they mirror each other.
    assert_eq!(report.executions, 2);
    let daxlab_steps = report.steps / report.executions;

    // loom's bound 0 keeps T1, its main thread, running first: one execution.
    let loom = loom_seed::explore(loom_seed::Variant::Fixed, Some(0));
    assert_eq!((loom.executions, loom.failure), (1, None));
    assert_eq!(loom.ops, daxlab_steps);
}
