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
