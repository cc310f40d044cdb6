//! The matrix of every built-in on every modelled kernel, checked against what each
//! scenario's `[expect]` says; and its figure.

use daxlab::Kernel;
use daxlab::explore::{Matrix, matrix};
use daxlab::figure::matrix_figure;
use daxlab::scenario::{BUILTINS, builtin};
use std::collections::BTreeSet;

fn every_builtin_on_every_release() -> Matrix {
    let scenarios: Vec<_> = BUILTINS.iter().map(|(n, _)| builtin(n).unwrap().unwrap()).collect();
    matrix(&scenarios, &Kernel::releases().collect::<Vec<_>>(), &mut |_, _| {})
}

#[test]
fn every_builtin_shows_on_every_release_what_its_expect_says() {
    let m = every_builtin_on_every_release();
    assert_eq!(m.rows.len(), BUILTINS.len());
    for row in &m.rows {
        assert_eq!(row.cells.len(), Kernel::releases().count());
        for cell in &row.cells {
            assert!(cell.expected.is_some(), "{} states what {} must show", row.scenario, cell.kernel);
        }
    }
    assert!(m.mismatches().is_empty(), "cells that differ from [expect]: {:#?}", m.mismatches());
    // Kernels running the same code share one exploration.
    let models: BTreeSet<_> = Kernel::releases().map(|k| (k.release.era(), k.fixes)).collect();
    assert_eq!(m.explorations, BUILTINS.len() * models.len());
    // The seed race appears with the code and disappears with its fix.
    let seed = m.rows.iter().find(|r| r.scenario == "seed-race").unwrap();
    for (kernel, cell) in m.kernels.iter().zip(&seed.cells) {
        let k = Kernel::parse(kernel).unwrap();
        let fails = cell.failures.iter().any(|c| c.class == "bug(pte-under-huge-pmd)" && c.preemptions == 2);
        assert_eq!(fails, !k.has(daxlab::Fix::RadixTreeInsertionRace), "{kernel}");
    }
}

#[test]
fn the_matrix_figure_draws_a_cell_per_scenario_and_kernel() {
    let sc = builtin("seed-race").unwrap().unwrap();
    let m = matrix(&[sc], &[Kernel::UNFIXED, Kernel::FIXED], &mut |_, _| {});
    let scene = matrix_figure(&m).unwrap();
    let texts: Vec<&str> = scene.texts().collect();
    assert!(texts.contains(&"seed-race"));
    assert!(texts.contains(&"v4.11-rc5") && texts.contains(&"v4.11"));
    assert!(texts.contains(&"bug(pte-under-huge-pmd) · 2"), "{texts:?}");
    assert!(texts.contains(&"no failure"));
    assert!(!texts.iter().any(|t| t.starts_with("expected:")), "every cell matches its [expect]");
    assert!(scene.to_svg().unwrap().starts_with("<svg"));
}

/// The matrix one exploration at a time (as the workbench runs it): the same cells as
/// `matrix`, progress counted in explorations, each failure's witness replaying to its class.
#[test]
fn a_matrix_run_steps_one_exploration_at_a_time() {
    use daxlab::explore::{MatrixRun, replay};
    let sc = builtin("seed-race").unwrap().unwrap();
    let kernels = [Kernel::UNFIXED, Kernel::FIXED, Kernel::stock(daxlab::Release::V4_12)];
    let mut run = MatrixRun::new(vec![sc.clone()], kernels.to_vec());
    assert_eq!(run.progress(), (0, 2), "v4.11 and v4.12 run the same code");
    assert_eq!(run.next(), Some(("seed-race", Kernel::UNFIXED)));
    assert!(run.step());
    assert_eq!(run.next(), Some(("seed-race", Kernel::FIXED)));
    assert!(run.rows().is_empty(), "the row is complete only when every cell is");
    assert!(run.step());
    assert_eq!(run.next(), None);
    assert!(!run.step());
    assert_eq!(run.progress(), (2, 2));
    let stepped = run.finish();
    let whole = matrix(std::slice::from_ref(&sc), &kernels, &mut |_, _| {});
    assert_eq!(serde_json::to_value(&stepped.rows).unwrap(), serde_json::to_value(&whole.rows).unwrap());
    let bug = &stepped.rows[0].cells[0].failures[0];
    let (ex, divergence) = replay(&sc, Kernel::UNFIXED, &bug.witness.schedule);
    assert_eq!((ex.outcome.class(), divergence), (bug.class.clone(), None));
    assert_eq!(ex.preemptions, bug.preemptions);
    let cell = &stepped.rows[0].cells[0];
    assert!(
        cell.summary().starts_with(&format!("{} ({} preemptions)", bug.class, bug.preemptions)),
        "{}",
        cell.summary()
    );
    assert_eq!(stepped.rows[0].cells[1].summary(), "no failure");
}

#[test]
fn a_cancelled_matrix_run_stops_and_keeps_only_complete_rows() {
    use daxlab::explore::MatrixRun;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let scenarios: Vec<_> = ["seed-race", "pte-vs-pmd"].iter().map(|n| builtin(n).unwrap().unwrap()).collect();
    let cancel = Arc::new(AtomicBool::new(false));
    let mut run = MatrixRun::new(scenarios, vec![Kernel::UNFIXED, Kernel::FIXED]).with_cancel(cancel.clone());
    assert!(run.step() && run.step());
    assert_eq!(run.rows().len(), 1);
    assert!(run.step());
    cancel.store(true, Ordering::Relaxed);
    assert_eq!(run.next(), None);
    assert!(!run.step());
    let m = run.finish();
    assert_eq!(m.rows.len(), 1, "the half-done row is left out");
    assert_eq!(m.explorations, 3);
}
